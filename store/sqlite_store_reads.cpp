// The read side of SqliteStore: every query runs on a pooled read-only
// connection in its own snapshot, beside the writer (WAL).
#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "common/util/log.hpp"
#include "store/keywords.hpp"
#include "store/mailbox_names.hpp"
#include "store/message_prep.hpp"
#include "store/rows.hpp"
#include "store/sqlite_store.hpp"

namespace pochta::store {

std::vector<MailboxInfo> SqliteStore::list_mailboxes(const std::string& user) {
    auto db = readers_->acquire();
    auto q = db->cached("SELECT " POCHTA_MAILBOX_COLUMNS
                        " FROM mailboxes m JOIN users u ON u.id = m.user_id WHERE u.address = ?1 "
                        "ORDER BY m.name <> 'INBOX', m.name");
    q->bind(1, user);
    std::vector<MailboxInfo> out;
    while (q->step()) out.push_back(mailbox_from(*q));
    return out;
}

std::optional<MailboxInfo> SqliteStore::find_mailbox(const std::string& user, const std::string& name) {
    auto db = readers_->acquire();
    auto q = db->cached("SELECT " POCHTA_MAILBOX_COLUMNS
                        " FROM mailboxes m JOIN users u ON u.id = m.user_id WHERE u.address = ?1 AND m.name = ?2");
    q->bind(1, user).bind(2, canonical_mailbox_name(name));
    if (!q->step()) return std::nullopt;
    return mailbox_from(*q);
}

std::vector<std::string> SqliteStore::subscriptions(const std::string& user) {
    auto db = readers_->acquire();
    auto q = db->cached(
        "SELECT s.name FROM subscriptions s JOIN users u ON u.id = s.user_id WHERE u.address = ?1 "
        "ORDER BY s.name <> 'INBOX', s.name");
    q->bind(1, user);
    std::vector<std::string> out;
    while (q->step()) out.push_back(q->text(0));
    return out;
}

// One query, keywords in one column: 5,000 messages are one index range scan.
std::vector<MessageInfo> SqliteStore::list_messages(int64_t mailbox_id) {
    auto db = readers_->acquire();
    auto q = db->cached("SELECT " POCHTA_MESSAGE_COLUMNS " FROM messages WHERE mailbox_id = ?1 ORDER BY uid");
    q->bind(1, mailbox_id);
    std::vector<MessageInfo> out;
    while (q->step()) out.push_back(message_from(*q));
    return out;
}

std::optional<MailboxInfo> SqliteStore::mailbox_state(int64_t mailbox_id) {
    auto db = readers_->acquire();
    auto q = db->cached("SELECT " POCHTA_MAILBOX_COLUMNS_UNCOUNTED " FROM mailboxes m WHERE m.id = ?1");
    q->bind(1, mailbox_id);
    if (!q->step()) return std::nullopt;
    return mailbox_from(*q);
}

// One scan of the mailbox's rows; the counts come from it too, so the
// mailbox row is read without mailbox_from's count subqueries.
std::optional<MailboxSnapshot> SqliteStore::mailbox_snapshot(const std::string& user, const std::string& name) {
    auto db = readers_->acquire();
    Txn snapshot(*db, Txn::Kind::deferred);
    MailboxSnapshot out;
    {
        auto q = db->cached("SELECT " POCHTA_MAILBOX_COLUMNS_UNCOUNTED
                            " FROM mailboxes m JOIN users u ON u.id = m.user_id WHERE u.address = ?1 AND m.name = ?2");
        q->bind(1, user).bind(2, canonical_mailbox_name(name));
        if (!q->step()) return std::nullopt;
        out.box = mailbox_from(*q);
    }
    if (auto cached = cached_snapshot(out.box)) return std::move(*cached);
    // NULLIF: most rows have no keywords, and a NULL costs no string copy.
    auto q = db->cached("SELECT uid, flags, NULLIF(keywords, '') FROM messages WHERE mailbox_id = ?1 ORDER BY uid");
    q->bind(1, out.box.id);
    out.uids.reserve(4096);
    std::set<std::string> keywords;
    while (q->step()) {
        const auto uid = static_cast<uint32_t>(q->int64(0));
        out.uids.push_back(uid);
        if (!(q->int64(1) & flag_seen)) {
            out.box.unseen++;
            if (out.first_unseen_uid == 0) out.first_unseen_uid = uid;
        }
        if (!q->is_null(2))
            for (auto& k : split_keywords(q->text(2))) keywords.insert(std::move(k));
    }
    out.keywords.assign(keywords.begin(), keywords.end());
    out.box.messages = static_cast<uint32_t>(out.uids.size());
    keep_snapshot(out);
    return out;
}

namespace {

// Every change to a mailbox's messages (append, flags, expunge, move)
// raises its HIGHESTMODSEQ, and a rename changes its name: a snapshot read
// with the same row is still exact.
bool same_state(const MailboxInfo& a, const MailboxInfo& b) {
    return a.id == b.id && a.name == b.name && a.special_use == b.special_use && a.subscribed == b.subscribed &&
           a.uidvalidity == b.uidvalidity && a.uidnext == b.uidnext && a.highestmodseq == b.highestmodseq;
}

constexpr size_t max_kept_snapshots = 64;
constexpr size_t max_kept_uids = 1 << 20;  // a mailbox bigger than this is always read afresh

}  // namespace

std::optional<MailboxSnapshot> SqliteStore::cached_snapshot(const MailboxInfo& box) {
    std::lock_guard lock(snapshots_mutex_);
    auto it = snapshots_.find(box.id);
    if (it == snapshots_.end() || !same_state(it->second.box, box)) return std::nullopt;
    return it->second;
}

void SqliteStore::keep_snapshot(const MailboxSnapshot& snapshot) {
    if (snapshot.uids.size() > max_kept_uids) return;
    std::lock_guard lock(snapshots_mutex_);
    if (snapshots_.size() >= max_kept_snapshots && !snapshots_.count(snapshot.box.id))
        snapshots_.erase(snapshots_.begin());
    snapshots_.insert_or_assign(snapshot.box.id, snapshot);
}

std::vector<MessageInfo> SqliteStore::changed_since(int64_t mailbox_id, uint64_t modseq) {
    auto db = readers_->acquire();
    auto q = db->cached("SELECT " POCHTA_MESSAGE_COLUMNS
                        " FROM messages WHERE mailbox_id = ?1 AND modseq > ?2 ORDER BY uid");
    q->bind(1, mailbox_id).bind(2, static_cast<int64_t>(std::min<uint64_t>(modseq, INT64_MAX)));
    std::vector<MessageInfo> out;
    while (q->step()) out.push_back(message_from(*q));
    return out;
}

std::vector<uint32_t> SqliteStore::expunged_since(int64_t mailbox_id, uint64_t modseq) {
    auto db = readers_->acquire();
    // No ORDER BY: SQLite would walk the primary key (every tombstone of
    // the mailbox) to avoid a sort; the modseq index reads only the new ones.
    auto q = db->cached("SELECT uid FROM expunged WHERE mailbox_id = ?1 AND modseq > ?2");
    q->bind(1, mailbox_id).bind(2, static_cast<int64_t>(std::min<uint64_t>(modseq, INT64_MAX)));
    std::vector<uint32_t> out;
    while (q->step()) out.push_back(static_cast<uint32_t>(q->int64(0)));
    std::sort(out.begin(), out.end());
    return out;
}

SqliteStore::StoredBytes SqliteStore::stored_bytes(int64_t message_id, bool want_inline_data) {
    auto db = readers_->acquire();
    auto q = db->cached(
        "SELECT b.sha256, b.size, b.inline_data IS NOT NULL, CASE WHEN ?2 THEN b.inline_data END "
        "FROM messages m JOIN blobs b ON b.id = m.blob_id WHERE m.id = ?1");
    q->bind(1, message_id).bind(2, int64_t{want_inline_data});
    if (!q->step()) throw StoreError(fmt::format("no message with id {}", message_id), ErrorKind::nonexistent);
    return {q->text(0), static_cast<uint64_t>(q->int64(1)), q->int64(2) != 0, q->blob(3)};
}

std::string SqliteStore::read_message(int64_t message_id) {
    StoredBytes bytes = stored_bytes(message_id, true);
    if (bytes.is_inline) return std::move(bytes.inline_data).value_or(std::string());
    // Blob files are immutable, so reading after the snapshot ended is
    // safe; if the message was purged meanwhile the read fails cleanly.
    return files_.read(bytes.sha256, bytes.size);
}

std::vector<std::pair<int64_t, Error>> SqliteStore::check_messages(const std::vector<int64_t>& message_ids) {
    std::vector<std::pair<int64_t, StoredBytes>> files;
    std::vector<std::pair<int64_t, Error>> failed;
    {
        auto db = readers_->acquire();
        Txn snapshot(*db, Txn::Kind::deferred);
        auto q = db->cached(
            "SELECT b.sha256, b.size, b.inline_data IS NOT NULL FROM messages m JOIN blobs b ON b.id = m.blob_id "
            "WHERE m.id = ?1");
        for (int64_t id : message_ids) {
            q->reset();
            q->bind(1, id);
            if (!q->step())
                failed.emplace_back(id, Error{ErrorKind::nonexistent, fmt::format("no message with id {}", id)});
            else if (q->int64(2) == 0)
                files.emplace_back(id, StoredBytes{q->text(0), static_cast<uint64_t>(q->int64(1)), false, {}});
        }
    }
    // Outside the snapshot: a stat per blob file.
    for (const auto& [id, bytes] : files)
        if (Error e = files_.check(bytes.sha256, bytes.size)) failed.emplace_back(id, std::move(e));
    return failed;
}

Error SqliteStore::check_message(int64_t message_id) {
    try {
        StoredBytes bytes = stored_bytes(message_id, false);
        return bytes.is_inline ? Error{} : files_.check(bytes.sha256, bytes.size);
    } catch (const StoreError& e) {
        return e.error();
    }
}

std::string SqliteStore::read_range(int64_t message_id, uint64_t offset, uint64_t length) {
    length = std::min(length, max_read_range);
    std::string sha;
    uint64_t size = 0;
    {
        auto db = readers_->acquire();
        // substr() on the blob copies only the slice out of the page cache.
        auto q = db->cached(
            "SELECT b.sha256, b.size, b.inline_data IS NULL, "
            "CASE WHEN b.inline_data IS NULL THEN NULL ELSE substr(b.inline_data, ?2, ?3) END "
            "FROM messages m JOIN blobs b ON b.id = m.blob_id WHERE m.id = ?1");
        const uint64_t first = std::min<uint64_t>(offset, INT64_MAX - 1) + 1;  // substr counts from 1
        q->bind(1, message_id).bind(2, static_cast<int64_t>(first)).bind(3, static_cast<int64_t>(length));
        if (!q->step()) throw StoreError(fmt::format("no message with id {}", message_id), ErrorKind::nonexistent);
        size = static_cast<uint64_t>(q->int64(1));
        if (offset >= size || length == 0) return {};
        if (q->int64(2) == 0) return q->blob(3).value_or(std::string());
        sha = q->text(0);
    }
    return files_.read_range(sha, size, offset, length);
}

std::string SqliteStore::message_structure(int64_t message_id) {
    MessageRow row;
    std::string sha;
    {
        auto db = readers_->acquire();
        auto q = db->cached(
            "SELECT b.sha256, b.structure, b.summary FROM messages m JOIN blobs b ON b.id = m.blob_id "
            "WHERE m.id = ?1");
        q->bind(1, message_id);
        if (!q->step()) throw StoreError(fmt::format("no message with id {}", message_id), ErrorKind::nonexistent);
        if (auto cached = q->blob(1)) return std::move(*cached);
        sha = q->text(0);
        row.summary = q->blob(2).value_or(std::string());
    }
    row.info.id = message_id;
    fill_derived(row, sha, true);
    return std::move(row.structure);
}

std::vector<MessageRow> SqliteStore::message_rows(int64_t mailbox_id, const std::vector<uint32_t>& uids,
                                                  RowParts parts) {
    std::vector<MessageRow> out;
    std::vector<std::pair<size_t, std::string>> incomplete;  // rows lacking derived data, with their sha256
    const bool want_summary = parts.summary && options_.summarize;
    {
        auto db = readers_->acquire();
        Txn snapshot(*db, Txn::Kind::deferred);
        // CASE keeps unasked-for blobs unread: SQLite only loads a column
        // (and its overflow pages) when it is evaluated.
        // Without any part, the blobs table (a page or more per message:
        // its inline bytes) is not read at all: SEARCH over flags or the
        // full-text index needs only the messages' own rows.
        const bool any_part = parts.summary || parts.structure || parts.content;
        auto q = any_part ? db->cached("SELECT " POCHTA_MESSAGE_COLUMNS_M
                                       ", b.sha256, b.structure IS NULL, b.summary IS NULL, "
                                       "CASE WHEN ?4 THEN b.summary END, CASE WHEN ?5 OR (?4 AND b.summary IS NULL) "
                                       "THEN b.structure END, CASE WHEN ?6 THEN b.inline_data END "
                                       "FROM messages m JOIN blobs b ON b.id = m.blob_id "
                                       "WHERE m.mailbox_id = ?1 AND m.uid BETWEEN ?2 AND ?3 ORDER BY m.uid")
                          : db->cached("SELECT " POCHTA_MESSAGE_COLUMNS_M
                                       ", NULL, 0, 0, NULL, NULL, NULL FROM messages m "
                                       "WHERE m.mailbox_id = ?1 AND m.uid BETWEEN ?2 AND ?3 ORDER BY m.uid");
        constexpr int c = message_column_count;
        for (auto [first, last] : uid_scan_ranges(uids)) {
            q->reset();
            q->bind(1, mailbox_id).bind(2, int64_t{first}).bind(3, int64_t{last});
            if (any_part)
                q->bind(4, int64_t{parts.summary}).bind(5, int64_t{parts.structure}).bind(6, int64_t{parts.content});
            while (q->step()) {
                const auto uid = static_cast<uint32_t>(q->int64(1));
                if (!std::binary_search(uids.begin(), uids.end(), uid)) continue;
                MessageRow row;
                row.info = message_from(*q);
                if (parts.summary) row.summary = q->blob(c + 3).value_or(std::string());
                row.structure = q->blob(c + 4).value_or(std::string());
                if (parts.content) row.content = q->blob(c + 5);
                const bool lacks_structure = parts.structure && q->int64(c + 1) != 0;
                const bool lacks_summary = want_summary && q->int64(c + 2) != 0;
                if (lacks_structure || lacks_summary)
                    incomplete.emplace_back(out.size(), q->text(c));
                else if (!parts.structure)
                    row.structure.clear();
                out.push_back(std::move(row));
            }
        }
    }
    // Outside the snapshot: parsing may read a blob file.
    for (auto& [index, sha] : incomplete) {
        try {
            fill_derived(out[index], sha, parts.structure);
        } catch (const StoreError& e) {
            log::warn("store: message {}: {}", out[index].info.id, e.what());
        }
    }
    return out;
}

std::vector<std::pair<uint32_t, int64_t>> SqliteStore::message_ids(int64_t mailbox_id) {
    std::vector<std::pair<uint32_t, int64_t>> out;
    auto db = readers_->acquire();
    auto q = db->cached("SELECT uid, id FROM messages WHERE mailbox_id = ?1 ORDER BY uid");
    q->bind(1, mailbox_id);
    while (q->step()) out.emplace_back(static_cast<uint32_t>(q->int64(0)), q->int64(1));
    return out;
}

void SqliteStore::fill_derived(MessageRow& row, const std::string& sha256, bool want_structure) {
    DerivedData made;
    if (row.structure.empty()) {
        // Not parsed yet (a message from before schema 2, or a parse that ran
        // out of memory): parse now and keep the result for next time.
        auto structure = parse_structure(read_message(row.info.id));
        if (!structure)
            throw StoreError(fmt::format("cannot parse the structure of message {}", row.info.id));
        made.structure = structure;
        row.structure = std::move(*structure);
    }
    if (row.summary.empty() && options_.summarize) {
        made.summary = summarize_structure(options_.summarize, row.structure);
        if (made.summary) row.summary = *made.summary;
    }
    if (!want_structure) row.structure.clear();
    if (made.structure || made.summary) cache_derived(sha256, std::move(made));
}

}  // namespace pochta::store
