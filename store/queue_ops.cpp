// The outbound queue in the store: due entries for the queue runner, and
// the outcome of each attempt. A queue entry is one message (one blob
// reference) with a row per recipient whose state is pending, deferred,
// delivered or failed; "still to deliver" means pending or deferred. An
// entry may carry header fields of its own, relayed before the blob's
// content: a list member's List-Unsubscribe beside the post all members share.
#include <algorithm>
#include <set>

#include "store/message_prep.hpp"
#include "store/sha256.hpp"
#include "store/sqlite_store.hpp"
#include "store/write_ops.hpp"

namespace pochta::store {

namespace {

// Statements are cached by the address of their literal text.
#define POCHTA_OPEN_STATES "('pending', 'deferred')"

const char* state_name(RcptOutcome::State state) {
    switch (state) {
        case RcptOutcome::State::delivered: return "delivered";
        case RcptOutcome::State::failed: return "failed";
        case RcptOutcome::State::deferred: break;
    }
    return "deferred";
}

// Replies come from remote servers: keep them one bounded line.
std::string clean_reply(std::string_view reply) {
    constexpr size_t max_reply = 1000;
    std::string out;
    for (char c : reply.substr(0, max_reply)) out.push_back(static_cast<unsigned char>(c) < 0x20 ? ' ' : c);
    return out;
}

}  // namespace

// ---- Writes (on the writer thread, inside the caller's transaction).

void WriteOps::insert_queue_entry(const std::string& id, const std::string& envelope_from, int64_t blob,
                                  size_t relay_skip, const std::string& header_prefix) {
    queued_ = true;
    auto q = db_.cached(
        "INSERT INTO queue(id, envelope_from, blob_id, relay_skip, header_prefix, created, next_attempt) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)");
    q->bind(1, id).bind(2, envelope_from).bind(3, blob).bind(4, static_cast<int64_t>(relay_skip));
    q->bind(5, header_prefix).bind(6, unix_now());
    q->run();
}

void WriteOps::enqueue(const Delivery& d, int64_t blob) {
    insert_queue_entry(d.queue_id, d.relay_from.value_or(d.envelope_from), blob, d.relay_skip, "");
    auto q = db_.cached("INSERT OR IGNORE INTO queue_rcpts(queue_id, rcpt) VALUES (?1, ?2)");
    for (const auto& rcpt : d.remote_rcpts) {
        q->reset();
        q->bind(1, d.queue_id).bind(2, rcpt).run();
    }
}

void WriteOps::enqueue_fanout(const Fanout& fanout, const std::string& sha256) {
    PreparedMessage prepared;  // a queue blob needs no structure: parsed on first read if ever
    prepared.ready = true;
    prepared.sha256 = sha256;
    const int64_t blob = blob_id(prepared, *fanout.data);
    auto q = db_.cached("INSERT OR IGNORE INTO queue_rcpts(queue_id, rcpt) VALUES (?1, ?2)");
    for (const auto& copy : fanout.copies) {
        insert_queue_entry(copy.queue_id, copy.envelope_from, blob, 0, copy.header_prefix);
        q->reset();
        q->bind(1, copy.queue_id).bind(2, copy.rcpt).run();
    }
}

bool WriteOps::update_queue(const QueueUpdate& u) {
    {
        auto q = db_.cached("SELECT 1 FROM queue WHERE id = ?1");
        q->bind(1, u.id);
        if (!q->step()) return false;
    }
    {
        auto q = db_.cached("UPDATE queue_rcpts SET state = ?3, last_reply = ?4 "
                            "WHERE queue_id = ?1 AND rcpt = ?2 AND state IN " POCHTA_OPEN_STATES);
        for (const auto& r : u.rcpts) {
            q->reset();
            q->bind(1, u.id).bind(2, r.rcpt).bind(3, state_name(r.state)).bind(4, clean_reply(r.reply)).run();
        }
    }
    if (u.bounce) {
        if (auto error = check_delivery(*u.bounce); !error.empty()) throw StoreError("bounce: " + error);
        deliver(*u.bounce, prepare_message(u.bounce->data, {}));  // summarized on first read
    }
    if (!u.attempt_done) return true;
    int64_t open = 0;
    {
        auto q = db_.cached("SELECT count(*) FROM queue_rcpts WHERE queue_id = ?1 AND state IN " POCHTA_OPEN_STATES);
        q->bind(1, u.id);
        if (q->step()) open = q->int64(0);
    }
    if (open == 0) return delete_queue_entry(u.id);
    auto q = db_.cached("UPDATE queue SET attempts = attempts + 1, next_attempt = ?2, last_reply = ?3 WHERE id = ?1");
    q->bind(1, u.id).bind(2, u.next_attempt).bind(3, clean_reply(u.last_reply)).run();
    return true;
}

bool WriteOps::delete_queue_entry(const std::string& id) {
    std::vector<int64_t> blobs;
    {
        auto q = db_.cached("DELETE FROM queue WHERE id = ?1 RETURNING blob_id");
        q->bind(1, id);
        while (q->step()) blobs.push_back(q->int64(0));
    }
    collect_blobs(blobs);
    return !blobs.empty();
}

void WriteOps::flush_queue() {
    auto q = db_.cached("UPDATE queue SET next_attempt = ?1 WHERE next_attempt > ?1");
    q->bind(1, unix_now()).run();
}

// ---- The store's interface.

std::vector<QueueEntry> SqliteStore::list_queue() {
    auto db = readers_->acquire();
    // One snapshot for the entries and their recipients.
    Txn txn(*db, Txn::Kind::deferred);
    std::vector<QueueEntry> out;
    {
        auto q = db->cached(
            "SELECT id, envelope_from, attempts, next_attempt, last_reply, created FROM queue "
            "ORDER BY created, id");
        while (q->step()) {
            QueueEntry e;
            e.id = q->text(0);
            e.envelope_from = q->text(1);
            e.attempts = static_cast<unsigned>(q->int64(2));
            e.next_attempt = q->int64(3);
            e.last_reply = q->text(4);
            e.created = q->int64(5);
            out.push_back(std::move(e));
        }
    }
    auto q = db->cached("SELECT rcpt FROM queue_rcpts WHERE queue_id = ?1 AND state IN " POCHTA_OPEN_STATES
                        " ORDER BY rowid");
    for (auto& e : out) {
        q->reset();
        q->bind(1, e.id);
        while (q->step()) e.pending_rcpts.push_back(q->text(0));
    }
    return out;
}

std::string SqliteStore::enqueue_fanout(const Fanout& fanout) {
    const std::string sha256 = fanout.sha256.empty() ? sha256_hex(*fanout.data) : fanout.sha256;
    write([&](WriteOps& ops) { ops.enqueue_fanout(fanout, sha256); });
    return sha256;
}

std::vector<QueuedMessage> SqliteStore::due_queue(int64_t now, size_t max_entries, size_t max_bytes,
                                                  const std::vector<std::string>& skip) {
    const std::set<std::string> busy(skip.begin(), skip.end());
    auto db = readers_->acquire();
    Txn txn(*db, Txn::Kind::deferred);  // one snapshot for entries, recipients and inline bodies
    std::vector<std::string> ids;
    {
        auto q = db->cached("SELECT id FROM queue WHERE next_attempt <= ?1 ORDER BY next_attempt, created, id");
        q->bind(1, now);
        while (ids.size() < max_entries && q->step()) {
            std::string id = q->text(0);
            if (!busy.count(id)) ids.push_back(std::move(id));
        }
    }
    std::vector<QueuedMessage> out;
    size_t bytes = 0;
    struct {
        std::string sha256, content;
    } last_file;
    auto entry = db->cached(
        "SELECT q.envelope_from, q.attempts, q.created, q.relay_skip, b.sha256, b.size, "
        "CASE WHEN b.inline_data IS NULL THEN NULL ELSE substr(b.inline_data, q.relay_skip + 1) END, "
        "q.header_prefix "
        "FROM queue q JOIN blobs b ON b.id = q.blob_id WHERE q.id = ?1");
    auto rcpts = db->cached("SELECT rcpt FROM queue_rcpts WHERE queue_id = ?1 AND state IN " POCHTA_OPEN_STATES
                            " ORDER BY rowid");
    for (const auto& id : ids) {
        if (!out.empty() && bytes >= max_bytes) break;
        entry->reset();
        entry->bind(1, id);
        if (!entry->step()) continue;
        QueuedMessage m;
        m.id = id;
        m.envelope_from = entry->text(0);
        m.attempts = static_cast<unsigned>(entry->int64(1));
        m.created = entry->int64(2);
        const auto skip_bytes = static_cast<uint64_t>(entry->int64(3));
        m.data = entry->text(7);  // a fan-out copy's own fields (README.md, "Mailing lists")
        if (auto inline_data = entry->blob(6)) {
            m.data += *inline_data;
        } else {
            // Blob files are immutable, and the snapshot keeps this one
            // referenced. Copies of a list post share one: read it once.
            const std::string sha256 = entry->text(4);
            if (sha256 != last_file.sha256)
                last_file = {sha256, files_.read(sha256, static_cast<uint64_t>(entry->int64(5)))};
            m.data.append(last_file.content, std::min<uint64_t>(skip_bytes, last_file.content.size()));
        }
        rcpts->reset();
        rcpts->bind(1, id);
        while (rcpts->step()) m.rcpts.push_back(rcpts->text(0));
        bytes += m.data.size();
        out.push_back(std::move(m));
    }
    return out;
}

std::vector<bool> SqliteStore::update_queue(const std::vector<QueueUpdate>& updates) {
    std::vector<bool> existed;
    if (updates.empty()) return existed;
    write([&](WriteOps& ops) {
        existed.clear();  // a retried transaction starts over
        for (const auto& u : updates) existed.push_back(ops.update_queue(u));
    });
    return existed;
}

bool SqliteStore::delete_queue_entry(const std::string& id) {
    bool deleted = false;
    write([&](WriteOps& ops) { deleted = ops.delete_queue_entry(id); });
    return deleted;
}

void SqliteStore::flush_queue() {
    write([](WriteOps& ops) { ops.flush_queue(); });
}

void SqliteStore::set_queue_listener(std::function<void()> listener) {
    writer_->set_queue_listener(std::move(listener));
}

}  // namespace pochta::store
