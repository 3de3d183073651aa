// Message writes of WriteOps (see write_ops.hpp): APPEND, flag changes,
// COPY/MOVE, EXPUNGE and the \Recent claim.
#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "store/keywords.hpp"
#include "store/list_archive.hpp"
#include "store/mailbox_names.hpp"
#include "store/rows.hpp"
#include "store/spool.hpp"
#include "store/write_ops.hpp"

namespace pochta::store {

namespace {

std::vector<uint32_t> sorted_unique(std::vector<uint32_t> uids) {
    std::sort(uids.begin(), uids.end());
    uids.erase(std::unique(uids.begin(), uids.end()), uids.end());
    return uids;
}

// The flags and keywords a message ends up with; nullopt when unchanged.
std::optional<std::pair<uint32_t, std::vector<std::string>>> apply_flags(
    const MessageInfo& m, FlagOp op, uint32_t flags, const std::vector<std::string>& keywords) {
    uint32_t new_flags = m.flags;
    std::vector<std::string> new_keywords;
    switch (op) {
    case FlagOp::add:
        new_flags |= flags;
        new_keywords = keywords_union(m.keywords, keywords);
        break;
    case FlagOp::remove:
        new_flags &= ~flags;
        new_keywords = keywords_minus(m.keywords, keywords);
        break;
    case FlagOp::replace:
        new_flags = flags;
        new_keywords = keywords;
        break;
    }
    if (new_flags == m.flags && same_keywords(new_keywords, m.keywords)) return std::nullopt;
    return std::make_pair(new_flags, std::move(new_keywords));
}

}  // namespace

AppendResult WriteOps::append(const AppendRequest& request, const PreparedMessage& prepared) {
    const auto box = mailbox_row(request.user, canonical_mailbox_name(request.mailbox));
    if (!box) throw MailboxNotFound(fmt::format("no mailbox {}", request.mailbox));
    MessageRow row;
    row.flags = request.flags & all_flags;
    row.keywords = join_keywords(normalize_keywords(request.keywords));
    row.internal_date = request.internal_date > 0 ? request.internal_date : unix_now();
    const std::string_view data = content_of(request);
    row.size = data.size();
    row.crlf_size = prepared.crlf_size;
    row.blob_id = blob_id(prepared, data);
    row.pop3_uidl = next_uidl();
    const uint32_t uid = allocate_uids(box->id, 1);
    const uint64_t modseq = bump_modseq(box->id);
    insert_message(box->id, uid, modseq, row);
    note(ChangeEvent::Kind::appended, box->user, box->id, modseq);
    return AppendResult{box->uidvalidity, uid};
}

FlagResult WriteOps::update_flags(int64_t mailbox_id, const FlagUpdate& update) {
    const MailboxRow box = require_mailbox(mailbox_id);
    const uint32_t flags = update.flags & all_flags;
    const std::vector<std::string> keywords = normalize_keywords(update.keywords);
    FlagResult result;
    {
        auto q = db_.cached("SELECT " POCHTA_MESSAGE_COLUMNS " FROM messages WHERE mailbox_id = ?1 AND uid = ?2");
        for (uint32_t uid : sorted_unique(update.uids)) {
            q->reset();
            q->bind(1, mailbox_id).bind(2, int64_t{uid});
            if (!q->step()) continue;  // expunged meanwhile, or never there
            MessageInfo m = message_from(*q);
            // RFC 7162 3.1.3: the UNCHANGEDSINCE test comes first, whatever the store would do.
            if (update.unchanged_since && m.modseq > *update.unchanged_since) {
                result.modified.push_back(uid);
                continue;
            }
            auto changed = apply_flags(m, update.op, flags, keywords);
            if (!changed) continue;
            m.flags = changed->first;
            m.keywords = std::move(changed->second);
            result.changed.push_back(std::move(m));
        }
    }
    if (result.changed.empty()) return result;
    // One new modseq for every message this call changed.
    const uint64_t modseq = bump_modseq(mailbox_id);
    auto q = db_.cached("UPDATE messages SET flags = ?2, keywords = ?3, modseq = ?4 WHERE id = ?1");
    for (auto& m : result.changed) {
        m.modseq = modseq;
        q->reset();
        q->bind(1, m.id).bind(2, int64_t{m.flags}).bind(3, join_keywords(m.keywords));
        q->bind(4, static_cast<int64_t>(modseq)).run();
    }
    note(ChangeEvent::Kind::flags, box.user, mailbox_id, modseq);
    return result;
}

// A move keeps the row (id, POP3 UIDL, blob) and gives it a new place; a
// copy is a new row on the same blob, with a UIDL of its own.
CopyResult WriteOps::copy_messages(int64_t from_mailbox, const std::vector<uint32_t>& uids, int64_t to_mailbox,
                                   bool move) {
    const MailboxRow source = require_mailbox(from_mailbox);
    const MailboxRow target = require_mailbox(to_mailbox);
    // A copy out of a list archive becomes the reader's (README.md, "Mailing lists": The archive).
    if (source.user_id != target.user_id && (move || !is_list_archive_owner(source.user)))
        throw MailboxRefused("messages cannot change owner");
    CopyResult result;
    result.uidvalidity = target.uidvalidity;

    std::vector<MessageRow> rows;
    {
        auto q = db_.cached(
            "SELECT id, uid, flags, keywords, internal_date, size, crlf_size, blob_id, pop3_uidl "
            "FROM messages WHERE mailbox_id = ?1 AND uid = ?2");
        for (uint32_t uid : sorted_unique(uids)) {
            q->reset();
            q->bind(1, from_mailbox).bind(2, int64_t{uid});
            if (!q->step()) continue;
            MessageRow r;
            r.id = q->int64(0);
            r.uid = static_cast<uint32_t>(q->int64(1));
            r.flags = static_cast<uint32_t>(q->int64(2));
            r.keywords = q->text(3);
            r.internal_date = q->int64(4);
            r.size = static_cast<uint64_t>(q->int64(5));
            r.crlf_size = static_cast<uint64_t>(q->int64(6));
            r.blob_id = q->int64(7);
            r.pop3_uidl = q->text(8);
            rows.push_back(std::move(r));
        }
    }
    if (rows.empty()) return result;

    const uint32_t first = allocate_uids(to_mailbox, rows.size());
    const uint64_t modseq = bump_modseq(to_mailbox);
    auto relocate =
        db_.cached("UPDATE messages SET mailbox_id = ?2, uid = ?3, modseq = ?4, save_date = ?5 WHERE id = ?1");
    for (size_t i = 0; i < rows.size(); ++i) {
        const uint32_t uid = first + static_cast<uint32_t>(i);
        result.source_uids.push_back(rows[i].uid);
        result.dest_uids.push_back(uid);
        if (move) {
            relocate->reset();
            relocate->bind(1, rows[i].id).bind(2, to_mailbox).bind(3, int64_t{uid});
            relocate->bind(4, static_cast<int64_t>(modseq)).bind(5, unix_now()).run();
        } else {
            rows[i].pop3_uidl = next_uidl();
            insert_message(to_mailbox, uid, modseq, rows[i]);
        }
    }
    note(ChangeEvent::Kind::appended, target.user, to_mailbox, modseq);
    if (move) {
        const uint64_t gone = bump_modseq(from_mailbox);
        record_expunged(from_mailbox, result.source_uids, gone);
        note(ChangeEvent::Kind::expunged, source.user, from_mailbox, gone);
    }
    return result;
}

std::vector<uint32_t> WriteOps::expunge(int64_t mailbox_id, const std::vector<uint32_t>& uids, bool only_deleted) {
    const MailboxRow box = require_mailbox(mailbox_id);
    std::vector<uint32_t> removed;
    std::set<int64_t> blobs;
    {
        auto q = db_.cached(
            "DELETE FROM messages WHERE mailbox_id = ?1 AND uid = ?2 AND (?3 = 0 OR (flags & ?4) <> 0) "
            "RETURNING blob_id");
        for (uint32_t uid : sorted_unique(uids)) {
            q->reset();
            q->bind(1, mailbox_id).bind(2, int64_t{uid}).bind(3, int64_t{only_deleted});
            q->bind(4, int64_t{flag_deleted});
            if (!q->step()) continue;
            removed.push_back(uid);
            blobs.insert(q->int64(0));
        }
    }
    if (removed.empty()) return removed;
    const uint64_t modseq = bump_modseq(mailbox_id);
    record_expunged(mailbox_id, removed, modseq);
    collect_blobs({blobs.begin(), blobs.end()});
    note(ChangeEvent::Kind::expunged, box.user, mailbox_id, modseq);
    return removed;
}

void WriteOps::raise_recent_floor(int64_t mailbox_id, uint32_t floor) {
    auto q = db_.cached("UPDATE mailboxes SET recent_floor = max(recent_floor, ?2) WHERE id = ?1");
    q->bind(1, mailbox_id).bind(2, int64_t{floor}).run();
}

}  // namespace pochta::store
