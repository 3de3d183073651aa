#include "store/write_ops.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <limits>
#include <map>
#include <set>
#include <utility>

#include "store/spool.hpp"

namespace pochta::store {

namespace {

constexpr size_t max_address_length = 1024;
constexpr size_t max_queue_id_length = 64;

struct DefaultMailbox {
    const char* name;
    SpecialUse use;
};

constexpr std::array<DefaultMailbox, 6> default_mailboxes{{
    {"INBOX", SpecialUse::none},
    {"Drafts", SpecialUse::drafts},
    {"Sent", SpecialUse::sent},
    {"Trash", SpecialUse::trash},
    {"Junk", SpecialUse::junk},
    {"Archive", SpecialUse::archive},
}};

bool has_control(std::string_view s) {
    return std::any_of(s.begin(), s.end(), [](unsigned char c) { return c < 0x20 || c == 0x7f; });
}

std::string check_address(std::string_view what, std::string_view address, bool may_be_empty) {
    if (address.empty() && !may_be_empty) return fmt::format("empty {}", what);
    if (address.size() > max_address_length) return fmt::format("{} too long", what);
    if (has_control(address)) return fmt::format("{} contains control characters", what);
    return {};
}

template <typename T>
std::vector<T> unique_in_order(const std::vector<T>& items) {
    std::vector<T> out;
    std::set<T> seen;
    for (const auto& item : items)
        if (seen.insert(item).second) out.push_back(item);
    return out;
}

void bind_optional(Stmt& q, int index, const std::optional<std::string>& bytes) {
    if (bytes)
        q.bind_blob(index, *bytes);
    else
        q.bind_null(index);
}

}  // namespace

int64_t unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string check_delivery(const Delivery& d) {
    if (d.local_users.empty() && d.remote_rcpts.empty() && d.filings.empty()) return "delivery has no recipients";
    if (d.spool && !d.data.empty()) return "a spooled delivery carries its data in the spool";
    if (d.relay_skip > (d.spool ? d.spool->size() : d.data.size()))
        return "relay_skip beyond the end of the message";
    if (auto e = check_address("sender", d.envelope_from, true); !e.empty()) return e;
    if (d.relay_from)
        if (auto e = check_address("relay sender", *d.relay_from, true); !e.empty()) return e;
    for (const auto& u : d.local_users)
        if (auto e = check_address("local user", u, false); !e.empty()) return e;
    for (const auto& r : d.remote_rcpts)
        if (auto e = check_address("recipient", r, false); !e.empty()) return e;
    for (const auto& f : d.filings)
        if (auto e = check_address("local user", f.user, false); !e.empty()) return e;
    if (!d.remote_rcpts.empty()) {
        if (d.queue_id.empty() || d.queue_id.size() > max_queue_id_length)
            return "queue id missing or too long";
        for (unsigned char c : d.queue_id)
            if (c <= 0x20 || c >= 0x7f) return "queue id must be printable ASCII without spaces";
    }
    return {};
}

WriteOps::WriteOps(Db& db, const BlobFiles& files, size_t inline_limit, size_t expunge_history)
    : db_(db), files_(files), inline_limit_(inline_limit), expunge_history_(std::max<size_t>(expunge_history, 1)) {}

uint32_t WriteOps::next_uidvalidity() {
    // Seconds since the epoch, but never equal to or below any value handed
    // out before, store-wide.
    auto q = db_.cached(
        "UPDATE meta SET value = max(value + 1, ?1) WHERE key = 'uidvalidity_last' RETURNING value");
    q->bind(1, unix_now());
    if (!q->step()) throw StoreError("meta row uidvalidity_last missing");
    const int64_t v = q->int64(0);
    if (v <= 0 || v > std::numeric_limits<uint32_t>::max()) throw StoreError("UIDVALIDITY space exhausted");
    return static_cast<uint32_t>(v);
}

std::string WriteOps::next_uidl() {
    if (uidl_tag_.empty()) {
        auto q = db_.cached("SELECT value FROM meta WHERE key = 'uidl_tag'");
        if (!q->step()) throw StoreError("meta row uidl_tag missing");
        uidl_tag_ = q->text(0);
    }
    auto q = db_.cached("UPDATE meta SET value = value + 1 WHERE key = 'message_seq' RETURNING value");
    if (!q->step()) throw StoreError("meta row message_seq missing");
    return fmt::format("{}.{}", uidl_tag_, q->int64(0));
}

int64_t WriteOps::next_id(const char* counter) {
    auto q = db_.cached("UPDATE meta SET value = value + 1 WHERE key = ?1 RETURNING value");
    q->bind(1, counter);
    if (!q->step()) throw StoreError(fmt::format("meta row {} missing", counter));
    return q->int64(0);
}

int64_t WriteOps::ensure_user(const std::string& user) {
    if (auto e = check_address("user", user, false); !e.empty()) throw StoreError(e, ErrorKind::invalid);
    int64_t uid = user_id(user);
    if (uid == 0) {
        auto q = db_.cached("INSERT INTO users(address, created) VALUES (?1, ?2) RETURNING id");
        q->bind(1, user).bind(2, unix_now());
        q->step();
        uid = q->int64(0);
    }
    // A special-use role counts as present wherever it lives, so a user who
    // renamed "Sent" does not get a second \Sent folder.
    int64_t inbox = 0;
    std::set<int> uses;
    {
        auto q = db_.cached(
            "SELECT id, name, special_use FROM mailboxes WHERE user_id = ?1 "
            "AND (name = 'INBOX' OR special_use <> 0)");
        q->bind(1, uid);
        while (q->step()) {
            if (q->text(1) == "INBOX") inbox = q->int64(0);
            uses.insert(static_cast<int>(q->int64(2)));
        }
    }
    for (const auto& mb : default_mailboxes) {
        const bool present = mb.use == SpecialUse::none ? inbox != 0 : uses.count(static_cast<int>(mb.use)) > 0;
        if (present) continue;
        // A plain folder already named like the role takes the role.
        int64_t id = 0;
        {
            auto q = db_.cached(
                "INSERT INTO mailboxes(id, user_id, name, uidvalidity, special_use) VALUES (?1, ?2, ?3, ?4, ?5) "
                "ON CONFLICT(user_id, name) DO UPDATE SET special_use = excluded.special_use RETURNING id");
            q->bind(1, next_id("mailbox_id_last")).bind(2, uid).bind(3, mb.name);
            q->bind(4, next_uidvalidity()).bind(5, static_cast<int64_t>(mb.use));
            q->step();
            id = q->int64(0);
        }
        auto q = db_.cached("INSERT OR IGNORE INTO subscriptions(user_id, name) VALUES (?1, ?2)");
        q->bind(1, uid).bind(2, mb.name).run();
        if (mb.use == SpecialUse::none) inbox = id;
    }
    return inbox;
}

int64_t WriteOps::blob_id(const PreparedMessage& prepared, std::string_view data) {
    {
        auto q = db_.cached(
            "SELECT id, structure IS NULL OR summary IS NULL OR NOT EXISTS (SELECT 1 FROM sort_keys WHERE blob_id = "
            "blobs.id) FROM blobs WHERE sha256 = ?1");
        q->bind(1, prepared.sha256);
        if (q->step()) {
            const int64_t id = q->int64(0);
            const bool missing = q->int64(1) != 0;
            q->reset();
            if (missing && (prepared.structure || prepared.summary || prepared.sort_keys))
                cache_derived(prepared.sha256, {prepared.structure, prepared.summary, prepared.sort_keys});
            return id;
        }
    }
    const bool inline_blob = is_inline(data.size());
    // Under the write lock now: no other writer can drop this file between
    // this check and our commit, since dropping needs the lock too.
    if (!inline_blob && !files_.exists(prepared.sha256)) files_.write(prepared.sha256, data);
    auto q = db_.cached(
        "INSERT INTO blobs(sha256, size, inline_data, structure, summary) VALUES (?1, ?2, ?3, ?4, ?5) "
        "RETURNING id");
    q->bind(1, prepared.sha256).bind(2, static_cast<int64_t>(data.size()));
    if (inline_blob)
        q->bind_blob(3, data);
    else
        q->bind_null(3);
    bind_optional(*q, 4, prepared.structure);
    bind_optional(*q, 5, prepared.summary);
    q->step();
    const int64_t id = q->int64(0);
    q->reset();
    if (prepared.sort_keys) keep_sort_keys(id, *prepared.sort_keys);
    return id;
}

void WriteOps::keep_sort_keys(int64_t blob, const std::string& keys) {
    auto q = db_.cached("INSERT OR REPLACE INTO sort_keys(blob_id, keys) VALUES (?1, ?2)");
    q->bind(1, blob).bind_blob(2, keys).run();
}

void WriteOps::cache_derived(const std::string& sha256, const DerivedData& derived) {
    auto q = db_.cached(
        "UPDATE blobs SET structure = coalesce(structure, ?2), summary = coalesce(summary, ?3) WHERE sha256 = ?1");
    q->bind(1, sha256);
    bind_optional(*q, 2, derived.structure);
    bind_optional(*q, 3, derived.summary);
    q->run();
    if (derived.sort_keys) {
        auto k = db_.cached("INSERT OR REPLACE INTO sort_keys(blob_id, keys) SELECT id, ?2 FROM blobs WHERE sha256 = ?1");
        k->bind(1, sha256).bind_blob(2, *derived.sort_keys).run();
    }
}

void WriteOps::add_to_mailbox(const std::string& user, int64_t mailbox_id, int64_t blob, int64_t internal_date,
                              uint64_t size, uint64_t crlf_size, uint32_t flags, std::string keywords) {
    const uint32_t uid = allocate_uids(mailbox_id, 1);
    const uint64_t modseq = bump_modseq(mailbox_id);
    MessageRow row;
    row.internal_date = internal_date;
    row.size = size;
    row.crlf_size = crlf_size;
    row.blob_id = blob;
    row.pop3_uidl = next_uidl();
    row.flags = flags;
    row.keywords = std::move(keywords);
    insert_message(mailbox_id, uid, modseq, row);
    note(ChangeEvent::Kind::appended, user, mailbox_id, modseq);
}

void WriteOps::deliver(const Delivery& d, const PreparedMessage& prepared) {
    const std::string_view data = content_of(d);
    const int64_t blob = blob_id(prepared, data);
    const int64_t date = d.internal_date > 0 ? d.internal_date : unix_now();
    for (const auto& user : unique_in_order(d.local_users))
        add_to_mailbox(user, delivery_mailbox(user, d.folder), blob, date, data.size(), prepared.crlf_size);
    for (const auto& filing : d.filings) file(filing, d.folder, blob, date, data.size(), prepared.crlf_size);
    if (!d.remote_rcpts.empty()) enqueue(d, blob);
}

int64_t WriteOps::delivery_mailbox(const std::string& user, SpecialUse folder) {
    const int64_t inbox = ensure_user(user);
    if (folder == SpecialUse::none) return inbox;
    auto q = db_.cached(
        "SELECT m.id FROM mailboxes m JOIN users u ON u.id = m.user_id WHERE u.address = ?1 AND m.special_use = ?2");
    q->bind(1, user).bind(2, static_cast<int64_t>(folder));
    return q->step() ? q->int64(0) : inbox;  // ensure_user made one of each special use
}

void WriteOps::collect_blobs(const std::vector<int64_t>& ids) {
    auto q = db_.cached(
        "DELETE FROM blobs WHERE id = ?1 "
        "AND NOT EXISTS (SELECT 1 FROM messages WHERE blob_id = ?1) "
        "AND NOT EXISTS (SELECT 1 FROM queue WHERE blob_id = ?1) "
        "RETURNING sha256, inline_data IS NULL");
    for (int64_t id : ids) {
        q->reset();
        q->bind(1, id);
        while (q->step())
            if (q->int64(1) != 0) dead_files_.push_back(q->text(0));
    }
}

// ---- Shared steps of the mailbox and message operations.

int64_t WriteOps::user_id(const std::string& user) {
    auto q = db_.cached("SELECT id FROM users WHERE address = ?1");
    q->bind(1, user);
    return q->step() ? q->int64(0) : 0;
}

#define POCHTA_MAILBOX_ROW                                                                              \
    "SELECT m.id, m.user_id, u.address, m.name, m.uidvalidity, m.uidnext, m.highestmodseq, m.special_use " \
    "FROM mailboxes m JOIN users u ON u.id = m.user_id "

namespace {

template <typename Row>
Row mailbox_row_from(Stmt& q) {
    Row r;
    r.id = q.int64(0);
    r.user_id = q.int64(1);
    r.user = q.text(2);
    r.name = q.text(3);
    r.uidvalidity = static_cast<uint32_t>(q.int64(4));
    r.uidnext = static_cast<uint32_t>(q.int64(5));
    r.highestmodseq = static_cast<uint64_t>(q.int64(6));
    const int64_t use = q.int64(7);
    r.special_use = use >= 0 && use <= static_cast<int64_t>(SpecialUse::archive) ? static_cast<SpecialUse>(use)
                                                                                 : SpecialUse::none;
    return r;
}

}  // namespace

std::optional<WriteOps::MailboxRow> WriteOps::mailbox_row(int64_t id) {
    auto q = db_.cached(POCHTA_MAILBOX_ROW "WHERE m.id = ?1");
    q->bind(1, id);
    if (!q->step()) return std::nullopt;
    return mailbox_row_from<MailboxRow>(*q);
}

std::optional<WriteOps::MailboxRow> WriteOps::mailbox_row(const std::string& user, const std::string& name) {
    auto q = db_.cached(POCHTA_MAILBOX_ROW "WHERE u.address = ?1 AND m.name = ?2");
    q->bind(1, user).bind(2, name);
    if (!q->step()) return std::nullopt;
    return mailbox_row_from<MailboxRow>(*q);
}

#undef POCHTA_MAILBOX_ROW

WriteOps::MailboxRow WriteOps::require_mailbox(int64_t id) {
    auto row = mailbox_row(id);
    if (!row) throw MailboxNotFound(fmt::format("no mailbox with id {}", id));
    return std::move(*row);
}

uint32_t WriteOps::allocate_uids(int64_t mailbox_id, size_t count) {
    auto q = db_.cached("UPDATE mailboxes SET uidnext = uidnext + ?2 WHERE id = ?1 RETURNING uidnext");
    q->bind(1, mailbox_id).bind(2, static_cast<int64_t>(count));
    if (!q->step()) throw MailboxNotFound("mailbox vanished");
    // uidnext itself must stay a valid UID (RFC 3501: 32-bit, non-zero).
    const int64_t next = q->int64(0);
    if (next > std::numeric_limits<uint32_t>::max()) throw StoreError("mailbox UID space exhausted", ErrorKind::limit);
    return static_cast<uint32_t>(next - static_cast<int64_t>(count));
}

uint64_t WriteOps::bump_modseq(int64_t mailbox_id) {
    auto q = db_.cached("UPDATE mailboxes SET highestmodseq = highestmodseq + 1 WHERE id = ?1 RETURNING highestmodseq");
    q->bind(1, mailbox_id);
    if (!q->step()) throw MailboxNotFound("mailbox vanished");
    return static_cast<uint64_t>(q->int64(0));
}

void WriteOps::insert_message(int64_t mailbox_id, uint32_t uid, uint64_t modseq, const MessageRow& row) {
    auto q = db_.cached(
        "INSERT INTO messages(id, mailbox_id, uid, modseq, flags, keywords, internal_date, size, crlf_size, "
        "blob_id, pop3_uidl, save_date) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)");
    q->bind(1, next_id("message_id_last")).bind(2, mailbox_id).bind(3, int64_t{uid});
    q->bind(4, static_cast<int64_t>(modseq)).bind(5, int64_t{row.flags}).bind(6, row.keywords);
    q->bind(7, row.internal_date).bind(8, static_cast<int64_t>(row.size));
    q->bind(9, static_cast<int64_t>(row.crlf_size)).bind(10, row.blob_id).bind(11, row.pop3_uidl);
    q->bind(12, unix_now());
    q->run();
}

void WriteOps::record_expunged(int64_t mailbox_id, const std::vector<uint32_t>& uids, uint64_t modseq) {
    auto q = db_.cached("INSERT OR REPLACE INTO expunged(mailbox_id, uid, modseq) VALUES (?1, ?2, ?3)");
    for (uint32_t uid : uids) {
        q->reset();
        q->bind(1, mailbox_id).bind(2, int64_t{uid}).bind(3, static_cast<int64_t>(modseq)).run();
    }
    // Checked every tenth of the history: the mailbox then holds at most
    // 1.1 times expunge_history tombstones, and the check's index walk is
    // paid once per that many expunges.
    size_t& added = tombstones_added_[mailbox_id];
    added += uids.size();
    if (added < expunge_history_ / 10 + 1) return;
    added = 0;
    prune_tombstones(mailbox_id);
}

// Keeps the newest expunge_history tombstones (those of the MODSEQ at the
// cut go too) and records the cut as the mailbox's expunge_horizon. One
// walk of the (mailbox_id, modseq) index; the delete uses it too.
void WriteOps::prune_tombstones(int64_t mailbox_id) {
    auto cut = db_.cached(
        "SELECT modseq FROM expunged WHERE mailbox_id = ?1 ORDER BY modseq DESC LIMIT 1 OFFSET ?2");
    cut->bind(1, mailbox_id).bind(2, static_cast<int64_t>(expunge_history_));
    if (!cut->step()) return;
    const int64_t horizon = cut->int64(0);
    auto drop = db_.cached("DELETE FROM expunged WHERE mailbox_id = ?1 AND modseq <= ?2");
    drop->bind(1, mailbox_id).bind(2, horizon).run();
    auto raise = db_.cached("UPDATE mailboxes SET expunge_horizon = max(expunge_horizon, ?2) WHERE id = ?1");
    raise->bind(1, mailbox_id).bind(2, horizon).run();
}

void WriteOps::note(ChangeEvent::Kind kind, const std::string& user, int64_t mailbox_id, uint64_t modseq) {
    events_.push_back(ChangeEvent{kind, user, mailbox_id, modseq});
}

std::vector<ChangeEvent> WriteOps::take_events() {
    // One event per (kind, mailbox) and commit, at the place of its first
    // occurrence, carrying the last modseq: a batch of 200 deliveries to one
    // INBOX wakes its sessions once.
    std::vector<ChangeEvent> out;
    std::map<std::pair<int, int64_t>, size_t> seen;
    for (auto& e : events_) {
        auto [it, fresh] = seen.try_emplace({static_cast<int>(e.kind), e.mailbox_id}, out.size());
        if (fresh)
            out.push_back(std::move(e));
        else
            out[it->second].modseq = std::max(out[it->second].modseq, e.modseq);
    }
    events_.clear();
    return out;
}

bool WriteOps::purge_user(const std::string& user) {
    const int64_t id = user_id(user);
    if (id == 0) return false;
    std::vector<int64_t> blobs;
    {
        auto q = db_.cached(
            "SELECT DISTINCT blob_id FROM messages WHERE mailbox_id IN "
            "(SELECT id FROM mailboxes WHERE user_id = ?1)");
        q->bind(1, id);
        while (q->step()) blobs.push_back(q->int64(0));
    }
    {
        auto q = db_.cached("SELECT id, highestmodseq FROM mailboxes WHERE user_id = ?1");
        q->bind(1, id);
        while (q->step())
            note(ChangeEvent::Kind::mailbox_deleted, user, q->int64(0), static_cast<uint64_t>(q->int64(1)));
    }
    // Mailboxes, messages, subscriptions and the expunge log go with the
    // user (ON DELETE CASCADE).
    auto q = db_.cached("DELETE FROM users WHERE id = ?1");
    q->bind(1, id).run();
    collect_blobs(blobs);
    return true;
}

std::vector<std::string> WriteOps::take_dead_files() { return std::exchange(dead_files_, {}); }

void WriteOps::remove_dead_files(const std::vector<std::string>& sha256s) {
    if (sha256s.empty()) return;
    Txn txn(db_, Txn::Kind::immediate);
    {
        auto q = db_.cached("SELECT 1 FROM blobs WHERE sha256 = ?1");
        for (const auto& sha : sha256s) {
            q->reset();
            q->bind(1, sha);
            if (!q->step()) files_.remove(sha);
        }
    }
    txn.commit();
}

}  // namespace pochta::store
