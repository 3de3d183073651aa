#include "store/sqlite_store.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <future>

#include <fmt/format.h>

#include "common/util/log.hpp"
#include "common/util/strings.hpp"
#include "store/message_prep.hpp"
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
    migrate(*db, files_);
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

void SqliteStore::refuse_on_writer_thread() const {
    if (writer_->on_writer_thread())
        throw StoreError("blocking store write from the writer thread (change listener or callback)");
}

void SqliteStore::write(std::function<void(WriteOps&)> fn) {
    refuse_on_writer_thread();
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

// The blocking forms hash and parse on the caller's (worker) thread, so the
// writer thread only does what must be serial.
void SqliteStore::deliver(const Delivery& delivery) {
    refuse_on_writer_thread();
    PreparedMessage prepared = prepare_message(delivery.data);
    std::promise<std::string> finished;
    auto result = finished.get_future();
    writer_->submit(
        delivery, [&finished](std::string error) { finished.set_value(std::move(error)); }, std::move(prepared));
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

void SqliteStore::set_change_listener(std::function<void(const std::vector<ChangeEvent>&)> listener) {
    writer_->set_listener(std::move(listener));
}

MailboxInfo SqliteStore::create_mailbox(const std::string& user, const std::string& name, SpecialUse use) {
    MailboxInfo info;
    write([&](WriteOps& ops) { info = ops.create_mailbox(user, name, use); });
    return info;
}

void SqliteStore::delete_mailbox(const std::string& user, const std::string& name) {
    write([&](WriteOps& ops) { ops.delete_mailbox(user, name); });
}

void SqliteStore::rename_mailbox(const std::string& user, const std::string& from, const std::string& to) {
    write([&](WriteOps& ops) { ops.rename_mailbox(user, from, to); });
}

void SqliteStore::set_subscribed(const std::string& user, const std::string& name, bool subscribed) {
    write([&](WriteOps& ops) { ops.set_subscribed(user, name, subscribed); });
}

AppendResult SqliteStore::append(const AppendRequest& request) {
    refuse_on_writer_thread();
    PreparedMessage prepared = prepare_message(request.data);
    std::promise<AppendResult> finished;
    auto result = finished.get_future();
    writer_->submit(
        request,
        [&finished](AppendResult r, std::exception_ptr error) {
            if (error)
                finished.set_exception(error);
            else
                finished.set_value(r);
        },
        std::move(prepared));
    return result.get();
}

FlagResult SqliteStore::update_flags(int64_t mailbox_id, const FlagUpdate& update) {
    FlagResult result;
    write([&](WriteOps& ops) { result = ops.update_flags(mailbox_id, update); });
    return result;
}

CopyResult SqliteStore::copy_messages(int64_t from_mailbox, const std::vector<uint32_t>& uids, int64_t to_mailbox,
                                      bool move) {
    CopyResult result;
    write([&](WriteOps& ops) { result = ops.copy_messages(from_mailbox, uids, to_mailbox, move); });
    return result;
}

std::vector<uint32_t> SqliteStore::expunge(int64_t mailbox_id, const std::vector<uint32_t>& uids,
                                           bool only_deleted) {
    std::vector<uint32_t> removed;
    write([&](WriteOps& ops) { removed = ops.expunge(mailbox_id, uids, only_deleted); });
    return removed;
}

uint32_t SqliteStore::claim_recent(int64_t mailbox_id) {
    uint32_t first = 0;
    write([&](WriteOps& ops) { first = ops.claim_recent(mailbox_id); });
    return first;
}

void SqliteStore::cache_structure(const std::string& sha256, const std::string& structure) {
    {
        std::lock_guard lock(structures_mutex_);
        const bool idle = pending_structures_.empty();
        pending_structures_.insert_or_assign(sha256, structure);
        if (!idle) return;  // the queued task will take this one too
    }
    // Fire and forget: the caller already has its structure; losing the
    // cache entry (store closing, disk full) only means parsing again.
    writer_->submit(
        [this](WriteOps& ops) {
            std::map<std::string, std::string> batch;
            {
                std::lock_guard lock(structures_mutex_);
                batch.swap(pending_structures_);
            }
            for (const auto& [sha, bytes] : batch) ops.cache_structure(sha, bytes);
        },
        [](std::exception_ptr error) {
            if (error) log::debug("store: MIME structure not cached");
        });
}

}  // namespace pochta::store
