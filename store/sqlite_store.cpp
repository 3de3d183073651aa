#include "store/sqlite_store.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <future>

#include <fmt/format.h>

#include "common/util/log.hpp"
#include "common/util/strings.hpp"
#include "store/schema.hpp"

namespace pochta::store {

namespace fs = std::filesystem;

namespace {

// Readers beyond this many idle connections are closed when returned.
constexpr size_t max_idle_readers = 8;
// SQLite keeps a blob in memory whole; larger "inline" limits make no sense.
constexpr size_t max_inline_limit = 16 * 1024 * 1024;

void make_private_dir(const fs::path& dir) {
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
        throw StoreError(fmt::format("mkdir {}: {}", dir.string(), std::strerror(errno)));
}

std::vector<std::string> split_keywords(const std::string& s) {
    std::vector<std::string> out;
    for (auto part : split(s, ' '))
        if (!part.empty()) out.emplace_back(part);
    return out;
}

// Columns 0..6 of the mailbox queries below, plus the two counts.
MailboxInfo mailbox_from(Stmt& q) {
    MailboxInfo m;
    m.id = q.int64(0);
    m.name = q.text(1);
    const int64_t use = q.int64(2);
    m.special_use = use >= 0 && use <= static_cast<int64_t>(SpecialUse::archive) ? static_cast<SpecialUse>(use)
                                                                                 : SpecialUse::none;
    m.subscribed = q.int64(3) != 0;
    m.uidvalidity = static_cast<uint32_t>(q.int64(4));
    m.uidnext = static_cast<uint32_t>(q.int64(5));
    m.highestmodseq = static_cast<uint64_t>(q.int64(6));
    m.messages = static_cast<uint32_t>(q.int64(7));
    m.unseen = static_cast<uint32_t>(q.int64(8));
    return m;
}

#define POCHTA_MAILBOX_COLUMNS                                                                        \
    "SELECT m.id, m.name, m.special_use, m.subscribed, m.uidvalidity, m.uidnext, m.highestmodseq, " \
    "(SELECT count(*) FROM messages WHERE mailbox_id = m.id), "                                       \
    "(SELECT count(*) FROM messages WHERE mailbox_id = m.id AND (flags & 1) = 0) "                    \
    "FROM mailboxes m JOIN users u ON u.id = m.user_id WHERE u.address = ?1 "

}  // namespace

std::unique_ptr<Store> Store::open(const fs::path& data_dir, Options options) {
    return std::make_unique<SqliteStore>(data_dir, options);
}

SqliteStore::SqliteStore(const fs::path& data_dir, Options options)
    : data_dir_(data_dir), options_(options), files_(data_dir) {
    options_.inline_blob_limit = std::min(options_.inline_blob_limit, max_inline_limit);
    std::error_code ec;
    fs::create_directories(data_dir_, ec);  // INTERFACE: data_dir is created if missing
    if (ec) throw StoreError(fmt::format("cannot create {}: {}", data_dir_.string(), ec.message()));
    make_private_dir(files_.blob_dir());
    make_private_dir(files_.tmp_dir());
    lock_ = std::make_unique<DirLock>(data_dir_);

    const fs::path index = data_dir_ / "index.db";
    auto db = std::make_unique<Db>(index, Db::Role::writer);
    migrate(*db);
    if (options_.maintenance && lock_->exclusive()) clean_leftovers(*db);
    lock_->share();

    readers_ = std::make_unique<ReadPool>(index, max_idle_readers);
    writer_ = std::make_unique<GroupWriter>(std::move(db), files_, options_.inline_blob_limit);
    checkpointer_ = std::make_unique<Checkpointer>(index, options_.checkpoint_interval,
                                                   [w = writer_.get()] { return w->last_commit(); });
}

SqliteStore::~SqliteStore() {
    // The checkpointer first: the writer's drain must not race a TRUNCATE for nothing.
    checkpointer_.reset();
    writer_.reset();
}

// Temp files are half-written deliveries; a blob file without a row was
// renamed into place but its transaction never committed. Neither was ever
// acknowledged, so both can go.
void SqliteStore::clean_leftovers(Db& db) {
    const size_t temps = files_.clean_tmp();
    auto q = db.cached("SELECT 1 FROM blobs WHERE sha256 = ?1 AND inline_data IS NULL");
    const size_t orphans = files_.remove_orphans([&](const std::string& sha) {
        q->reset();
        q->bind(1, sha);
        return q->step();
    });
    if (temps + orphans > 0)
        log::info("store: removed {} temp file(s) and {} orphan blob file(s) left by an interrupted run", temps,
                  orphans);
}

void SqliteStore::write(std::function<void(WriteOps&)> fn) {
    std::promise<void> finished;
    auto result = finished.get_future();
    writer_->submit(std::move(fn), [&finished](std::exception_ptr error) {
        if (error)
            finished.set_exception(error);
        else
            finished.set_value();
    });
    result.get();
}

void SqliteStore::deliver(const Delivery& delivery) {
    std::promise<std::string> finished;
    auto result = finished.get_future();
    writer_->submit(delivery, [&finished](std::string error) { finished.set_value(std::move(error)); });
    if (auto error = result.get(); !error.empty()) throw StoreError(error);
}

void SqliteStore::submit(Delivery delivery, std::function<void(std::string error)> done) {
    writer_->submit(std::move(delivery), std::move(done));
}

void SqliteStore::ensure_user(const std::string& user) {
    write([&](WriteOps& ops) { ops.ensure_user(user); });
}

void SqliteStore::purge_user(const std::string& user) {
    bool existed = false;
    write([&](WriteOps& ops) { existed = ops.purge_user(user); });
    if (existed) log::info("store: purged all mail of {}", user);
}

bool SqliteStore::delete_queue_entry(const std::string& id) {
    bool deleted = false;
    write([&](WriteOps& ops) { deleted = ops.delete_queue_entry(id); });
    return deleted;
}

void SqliteStore::flush_queue() {
    write([](WriteOps& ops) { ops.flush_queue(); });
}

Stats SqliteStore::stats() const { return writer_->stats(); }

std::vector<MailboxInfo> SqliteStore::list_mailboxes(const std::string& user) {
    auto db = readers_->acquire();
    auto q = db->cached(POCHTA_MAILBOX_COLUMNS "ORDER BY m.name <> 'INBOX', m.name");
    q->bind(1, user);
    std::vector<MailboxInfo> out;
    while (q->step()) out.push_back(mailbox_from(*q));
    return out;
}

std::optional<MailboxInfo> SqliteStore::find_mailbox(const std::string& user, const std::string& name) {
    // INBOX is case-insensitive (RFC 3501 5.1); every other name is exact.
    const std::string key = iequals(name, "INBOX") ? std::string("INBOX") : name;
    auto db = readers_->acquire();
    auto q = db->cached(POCHTA_MAILBOX_COLUMNS "AND m.name = ?2");
    q->bind(1, user).bind(2, key);
    if (!q->step()) return std::nullopt;
    return mailbox_from(*q);
}

std::vector<MessageInfo> SqliteStore::list_messages(int64_t mailbox_id) {
    auto db = readers_->acquire();
    auto q = db->cached(
        "SELECT id, uid, modseq, flags, keywords, internal_date, size, pop3_uidl "
        "FROM messages WHERE mailbox_id = ?1 ORDER BY uid");
    q->bind(1, mailbox_id);
    std::vector<MessageInfo> out;
    while (q->step()) {
        MessageInfo m;
        m.id = q->int64(0);
        m.uid = static_cast<uint32_t>(q->int64(1));
        m.modseq = static_cast<uint64_t>(q->int64(2));
        m.flags = static_cast<uint32_t>(q->int64(3));
        m.keywords = split_keywords(q->text(4));
        m.internal_date = q->int64(5);
        m.size = static_cast<uint64_t>(q->int64(6));
        m.pop3_uidl = q->text(7);
        out.push_back(std::move(m));
    }
    return out;
}

std::string SqliteStore::read_message(int64_t message_id) {
    std::string sha;
    uint64_t size = 0;
    {
        auto db = readers_->acquire();
        auto q = db->cached(
            "SELECT b.sha256, b.size, b.inline_data FROM messages m JOIN blobs b ON b.id = m.blob_id "
            "WHERE m.id = ?1");
        q->bind(1, message_id);
        if (!q->step()) throw StoreError(fmt::format("no message with id {}", message_id));
        if (auto data = q->blob(2)) return std::move(*data);
        sha = q->text(0);
        size = static_cast<uint64_t>(q->int64(1));
    }
    // Blob files are immutable, so reading after the snapshot ended is
    // safe; if the message was purged meanwhile the read fails cleanly.
    return files_.read(sha, size);
}

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
    auto q = db->cached("SELECT rcpt FROM queue_rcpts WHERE queue_id = ?1 AND state = 'pending' ORDER BY rowid");
    for (auto& e : out) {
        q->reset();
        q->bind(1, e.id);
        while (q->step()) e.pending_rcpts.push_back(q->text(0));
    }
    return out;
}

#undef POCHTA_MAILBOX_COLUMNS

}  // namespace pochta::store
