#include "imap/mailbox_view.hpp"

#include <algorithm>

namespace pochta::imap {

SeqSet absent_uids(const SeqSet& within, uint32_t max, const std::vector<uint32_t>& present) {
    SeqSet out;
    for (const SeqRange& r : within.resolve(max)) {
        uint64_t next = r.first;
        for (auto it = std::lower_bound(present.begin(), present.end(), r.first); it != present.end() && *it <= r.last;
             ++it) {
            if (*it > next) out.add(static_cast<uint32_t>(next), *it - 1);
            next = uint64_t{*it} + 1;
        }
        if (next <= r.last) out.add(static_cast<uint32_t>(next), r.last);
    }
    return out;
}

void MailboxView::load(const store::MailboxSnapshot& snapshot, uint32_t first_recent_uid) {
    mailbox_id_ = snapshot.box.id;
    uidvalidity_ = snapshot.box.uidvalidity;
    uidnext_ = snapshot.box.uidnext;
    modseq_ = snapshot.box.highestmodseq;
    applied_modseq_ = modseq_;
    uids_ = snapshot.uids;
    std::sort(uids_.begin(), uids_.end());
    uids_.shrink_to_fit();
    expunged_.clear();
    flags_pending_.clear();
    own_changes_.clear();
    recent_.clear();
    add_recent(first_recent_uid);
    keywords_ = std::set<std::string>(snapshot.keywords.begin(), snapshot.keywords.end());
    announced_ = exists();
}

// The messages this view holds from `first_uid` on, up to its highest UID,
// are \Recent here (what the session claimed); 0 claims nothing.
void MailboxView::add_recent(uint32_t first_uid) {
    if (first_uid == 0 || first_uid > max_uid()) return;
    if (!recent_.empty() && first_uid <= recent_.back().second + 1)
        recent_.back().second = max_uid();
    else
        recent_.emplace_back(first_uid, max_uid());
}

bool MailboxView::is_recent(uint32_t uid) const {
    return std::any_of(recent_.begin(), recent_.end(),
                       [uid](const auto& r) { return uid >= r.first && uid <= r.second; });
}

uint32_t MailboxView::recent_count() const {
    size_t count = 0;
    for (const auto& [first, last] : recent_) {
        auto begin = std::lower_bound(uids_.begin(), uids_.end(), first);
        auto end = std::upper_bound(begin, uids_.end(), last);
        count += static_cast<size_t>(end - begin);
    }
    return static_cast<uint32_t>(count);
}

bool MailboxView::is_expunged(uint32_t uid) const {
    return std::binary_search(expunged_.begin(), expunged_.end(), uid);
}

std::optional<uint32_t> MailboxView::seq_of(uint32_t uid) const {
    auto it = std::lower_bound(uids_.begin(), uids_.end(), uid);
    if (it == uids_.end() || *it != uid) return std::nullopt;
    return static_cast<uint32_t>(it - uids_.begin() + 1);
}

std::vector<uint32_t> MailboxView::live_uids() const {
    std::vector<uint32_t> out;
    out.reserve(uids_.size() - expunged_.size());
    std::set_difference(uids_.begin(), uids_.end(), expunged_.begin(), expunged_.end(), std::back_inserter(out));
    return out;
}

std::optional<std::vector<uint32_t>> MailboxView::resolve(const SeqSet& set, bool uid) const {
    std::vector<uint32_t> out;
    if (!uid) {
        // "*" in an empty mailbox names nothing that exists: an error too.
        if (set.highest(exists()) > exists() || (exists() == 0 && !set.empty())) return std::nullopt;
        set.for_each(exists(), [&](uint32_t n) { out.push_back(n); });
        return out;
    }
    // Walk the view once per range: UIDs are sorted, ranges may be huge.
    for (const SeqRange& r : set.resolve(max_uid())) {
        auto it = std::lower_bound(uids_.begin(), uids_.end(), r.first);
        for (; it != uids_.end() && *it <= r.last; ++it) out.push_back(static_cast<uint32_t>(it - uids_.begin() + 1));
    }
    return out;
}

void MailboxView::mark_expunged(uint32_t uid) {
    if (!seq_of(uid)) return;
    auto it = std::lower_bound(expunged_.begin(), expunged_.end(), uid);
    if (it == expunged_.end() || *it != uid) expunged_.insert(it, uid);
    flags_pending_.erase(uid);
    own_changes_.erase(uid);
}

void MailboxView::apply(const std::vector<store::MessageInfo>& changed, const std::vector<uint32_t>& expunged,
                        uint64_t highestmodseq, uint32_t uidnext, uint32_t first_recent_uid) {
    for (uint32_t uid : expunged) mark_expunged(uid);
    const uint32_t known = max_uid();
    for (const auto& m : changed) {
        keywords_.insert(m.keywords.begin(), m.keywords.end());
        if (m.uid > max_uid()) {
            uids_.push_back(m.uid);
            continue;
        }
        if (!seq_of(m.uid) || is_expunged(m.uid)) continue;  // expunged before we knew it
        // A row read again: modseqs are committed in order, so every change
        // up to the highest one applied was seen then.
        if (m.modseq <= applied_modseq_) continue;
        auto own = own_changes_.find(m.uid);
        if (own != own_changes_.end() && m.modseq <= own->second) continue;  // the client saw it in STORE
        flags_pending_[m.uid] = m;
    }
    for (const auto& m : changed) applied_modseq_ = std::max(applied_modseq_, m.modseq);
    if (first_recent_uid != 0 && max_uid() > known) add_recent(std::max(first_recent_uid, known + 1));
    modseq_ = std::max(modseq_, highestmodseq);
    uidnext_ = std::max(uidnext_, uidnext);
    if (!uids_.empty()) uidnext_ = std::max(uidnext_, max_uid() + 1);
    // Own changes at or below the view's MODSEQ cannot come back.
    std::erase_if(own_changes_, [this](const auto& entry) { return entry.second <= modseq_; });
}

void MailboxView::set_flags(const store::MessageInfo& changed) {
    if (!seq_of(changed.uid)) return;
    keywords_.insert(changed.keywords.begin(), changed.keywords.end());
    flags_pending_.erase(changed.uid);
    if (changed.modseq > modseq_) {
        uint64_t& own = own_changes_[changed.uid];
        own = std::max(own, changed.modseq);
    }
}

Announcements MailboxView::remove(const std::vector<uint32_t>& uids) {
    for (uint32_t uid : uids) mark_expunged(uid);
    return take(true);
}

Announcements MailboxView::take(bool allow_expunge) {
    Announcements out;
    if (allow_expunge && !expunged_.empty()) {
        // Highest first: each number stays valid for the client as it reads them.
        for (auto it = expunged_.rbegin(); it != expunged_.rend(); ++it) {
            uint32_t seq = *seq_of(*it);
            // One the client never heard of goes without a word.
            if (seq <= announced_) {
                out.expunged.push_back(seq);
                out.expunged_uids.push_back(*it);
                announced_--;
            }
        }
        uids_ = live_uids();
        expunged_.clear();
    }
    if (exists() != announced_) {
        announced_ = exists();
        out.exists = announced_;
        out.recent = recent_count();
    }
    for (auto& [uid, info] : flags_pending_)
        if (auto seq = seq_of(uid)) out.flag_changes.push_back(FlagChange{*seq, std::move(info)});
    flags_pending_.clear();
    return out;
}

}  // namespace pochta::imap
