#include "imap/mailbox_view.hpp"

#include <algorithm>

namespace pochta::imap {
namespace {

bool same_flags(const store::MessageInfo& a, const store::MessageInfo& b) {
    return a.flags == b.flags && a.keywords == b.keywords;
}

}  // namespace

void MailboxView::load(const store::MailboxInfo& box, std::vector<store::MessageInfo> messages,
                       uint32_t first_recent_uid) {
    mailbox_id_ = box.id;
    uidvalidity_ = box.uidvalidity;
    uidnext_ = box.uidnext;
    modseq_ = box.highestmodseq;
    std::sort(messages.begin(), messages.end(), [](const auto& a, const auto& b) { return a.uid < b.uid; });
    messages_.clear();
    messages_.reserve(messages.size());
    for (auto& m : messages) {
        bool recent = first_recent_uid != 0 && m.uid >= first_recent_uid;
        messages_.push_back(ViewMessage{std::move(m), recent, false, false});
    }
    announced_ = exists();
}

uint32_t MailboxView::recent_count() const {
    return static_cast<uint32_t>(std::count_if(messages_.begin(), messages_.end(), [](const auto& m) { return m.recent; }));
}

uint32_t MailboxView::first_unseen() const {
    for (size_t i = 0; i < messages_.size(); i++)
        if (!(messages_[i].info.flags & store::flag_seen)) return static_cast<uint32_t>(i + 1);
    return 0;
}

std::optional<uint32_t> MailboxView::seq_of(uint32_t uid) const {
    auto it = std::lower_bound(messages_.begin(), messages_.end(), uid,
                               [](const ViewMessage& m, uint32_t u) { return m.info.uid < u; });
    if (it == messages_.end() || it->info.uid != uid) return std::nullopt;
    return static_cast<uint32_t>(it - messages_.begin() + 1);
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
        auto it = std::lower_bound(messages_.begin(), messages_.end(), r.first,
                                   [](const ViewMessage& m, uint32_t u) { return m.info.uid < u; });
        for (; it != messages_.end() && it->info.uid <= r.last; ++it)
            out.push_back(static_cast<uint32_t>(it - messages_.begin() + 1));
    }
    return out;
}

void MailboxView::apply(const std::vector<store::MessageInfo>& changed, const std::vector<uint32_t>& expunged,
                        uint64_t highestmodseq, uint32_t uidnext, uint32_t first_recent_uid) {
    for (uint32_t uid : expunged)
        if (auto seq = seq_of(uid)) at(*seq).expunged = true;
    for (const auto& m : changed) {
        if (m.uid > max_uid()) {
            bool recent = first_recent_uid != 0 && m.uid >= first_recent_uid;
            messages_.push_back(ViewMessage{m, recent, false, false});
            continue;
        }
        auto seq = seq_of(m.uid);
        if (!seq) continue;  // expunged before we knew it
        ViewMessage& v = at(*seq);
        if (v.expunged || m.modseq <= v.info.modseq) continue;  // ours, or already known
        if (!same_flags(v.info, m)) v.flags_pending = true;
        v.info.flags = m.flags;
        v.info.keywords = m.keywords;
        v.info.modseq = m.modseq;
    }
    modseq_ = std::max(modseq_, highestmodseq);
    uidnext_ = std::max(uidnext_, uidnext);
    if (!messages_.empty()) uidnext_ = std::max(uidnext_, max_uid() + 1);
}

void MailboxView::set_flags(const store::MessageInfo& changed) {
    auto seq = seq_of(changed.uid);
    if (!seq) return;
    ViewMessage& v = at(*seq);
    v.info.flags = changed.flags;
    v.info.keywords = changed.keywords;
    v.info.modseq = std::max(v.info.modseq, changed.modseq);
    v.flags_pending = false;
}

Announcements MailboxView::remove(const std::vector<uint32_t>& uids) {
    for (uint32_t uid : uids)
        if (auto seq = seq_of(uid)) at(*seq).expunged = true;
    return take(true);
}

Announcements MailboxView::take(bool allow_expunge) {
    Announcements out;
    if (allow_expunge) {
        // Highest first: each number stays valid for the client as it reads them.
        for (size_t i = messages_.size(); i-- > 0;) {
            if (!messages_[i].expunged) continue;
            // One the client never heard of goes without a word.
            if (i < announced_) {
                out.expunged.push_back(static_cast<uint32_t>(i + 1));
                out.expunged_uids.push_back(messages_[i].info.uid);
                announced_--;
            }
            messages_.erase(messages_.begin() + static_cast<std::ptrdiff_t>(i));
        }
    }
    if (exists() != announced_) {
        announced_ = exists();
        out.exists = announced_;
        out.recent = recent_count();
    }
    for (size_t i = 0; i < messages_.size(); i++) {
        if (!messages_[i].flags_pending) continue;
        messages_[i].flags_pending = false;
        if (!messages_[i].expunged) out.flag_changes.push_back(static_cast<uint32_t>(i + 1));
    }
    return out;
}

}  // namespace pochta::imap
