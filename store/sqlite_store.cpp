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
#include "store/spool.hpp"

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
    fs::create_directories(data_dir_, ec);  // README.md, "Configuration reference": created if missing
    if (ec) throw StoreError(fmt::format("cannot create {}: {}", data_dir_.string(), ec.message()));
    make_private_dir(files_.blob_dir());
    make_private_dir(files_.tmp_dir());
    lock_ = std::make_unique<DirLock>(data_dir_);

    const fs::path index = data_dir_ / "index.db";
    refuse_lost_index(index);
    auto db = std::make_unique<Db>(index, Db::Role::writer);
    migrate(*db, files_);
    opened_alone_ = lock_->exclusive();
    if (options_.maintenance && opened_alone_) clean_leftovers(*db);
    lock_->share();

    readers_ = std::make_unique<ReadPool>(index, max_idle_readers);
    writer_ = std::make_unique<GroupWriter>(std::move(db), files_, options_.inline_blob_limit,
                                            options_.expunge_history, options_.summarize,
                                            options_.sort_keys);
    checkpointer_ = std::make_unique<Checkpointer>(index, options_.checkpoint_interval,
                                                   [w = writer_.get()] { return w->last_commit(); });
    if (options_.text_index.make) indexer_ = std::make_unique<FtsIndexer>(data_dir_, *this, options_.text_index);
}

SqliteStore::~SqliteStore() {
    indexer_.reset();  // it reads through the store
    // The checkpointer first: the writer's drain must not race a TRUNCATE for nothing.
    checkpointer_.reset();
    writer_.reset();
}

// A missing or empty index beside message files means the index was lost
// (a bad restore, a truncating copy): opening would create an empty store
// and the mail would be silently gone for every client.
void SqliteStore::refuse_lost_index(const fs::path& index) const {
    std::error_code ec;
    const auto size = fs::file_size(index, ec);
    if (!ec && size > 0) return;
    if (files_.list().empty()) return;  // a new store
    throw StoreError(fmt::format("{} is {} but {} holds message files: refusing to create an empty store over "
                                 "existing mail; restore index.db from a backup (README.md, \"Integrity\")",
                                 index.string(), ec ? "missing" : "empty", files_.blob_dir().string()));
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
    PreparedMessage prepared = prepare_message(delivery.data, options_.summarize, options_.sort_keys);
    std::promise<Error> finished;
    auto result = finished.get_future();
    writer_->submit(
        delivery, [&finished](Error error) { finished.set_value(std::move(error)); }, std::move(prepared));
    if (auto error = result.get()) throw StoreError(error.message, error.kind);
}

void SqliteStore::submit(Delivery delivery, std::function<void(Error error)> done) {
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
    if (request.spool && !request.data.empty())
        throw StoreError("a spooled APPEND carries its message in the spool", ErrorKind::invalid);
    // A spooled message was hashed as it was written; its structure is
    // parsed here, on the caller's (worker) thread, from the mapped file.
    check_quota(request.user, content_of(request).size(), 1);
    PreparedMessage prepared = prepare_content(content_of(request), request.spool.get(), options_.summarize,
                                                 options_.sort_keys);
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

// Hashed and parsed here, as append() does; the writer runs them as one
// task, which is one savepoint: a failure leaves none stored. A failed
// batch may leave blob files written for it; the store's maintenance at
// the next open removes files no row names.
std::vector<AppendResult> SqliteStore::append_all(const std::vector<AppendRequest>& requests) {
    std::vector<PreparedMessage> prepared;
    prepared.reserve(requests.size());
    for (const auto& request : requests) {
        if (request.spool && !request.data.empty())
            throw StoreError("a spooled APPEND carries its message in the spool", ErrorKind::invalid);
        prepared.push_back(prepare_content(content_of(request), request.spool.get(), options_.summarize,
                                                 options_.sort_keys));
    }
    std::vector<AppendResult> results;
    write([&](WriteOps& ops) {
        results.clear();
        for (size_t i = 0; i < requests.size(); ++i) results.push_back(ops.append(requests[i], prepared[i]));
    });
    return results;
}

ImportClaim SqliteStore::claim_import(const ImportTarget& target) {
    ImportClaim claim;
    write([&](WriteOps& ops) { claim = ops.claim_import(target); });
    return claim;
}

// Hashing and parsing happen here, on the caller's thread, as for append().
ImportBatchResult SqliteStore::import_batch(int64_t mailbox_id, const std::string& source,
                                            const std::vector<ImportMessage>& messages, const std::string& progress) {
    std::vector<PreparedMessage> prepared;
    prepared.reserve(messages.size());
    for (const auto& m : messages) prepared.push_back(prepare_message(m.data, options_.summarize, options_.sort_keys));
    ImportBatchResult result;
    write([&](WriteOps& ops) { result = ops.import_batch(mailbox_id, source, messages, prepared, progress); });
    return result;
}

FlagResult SqliteStore::update_flags(int64_t mailbox_id, const FlagUpdate& update) {
    FlagResult result;
    write([&](WriteOps& ops) { result = ops.update_flags(mailbox_id, update); });
    return result;
}

CopyResult SqliteStore::copy_messages(int64_t from_mailbox, const std::vector<uint32_t>& uids, int64_t to_mailbox,
                                      bool move) {
    CopyResult result;
    if (!move) check_copy_quota(from_mailbox, uids, to_mailbox);  // MOVE leaves the usage as it was
    write([&](WriteOps& ops) { result = ops.copy_messages(from_mailbox, uids, to_mailbox, move); });
    return result;
}

std::vector<uint32_t> SqliteStore::expunge(int64_t mailbox_id, const std::vector<uint32_t>& uids,
                                           bool only_deleted) {
    std::vector<uint32_t> removed;
    write([&](WriteOps& ops) { removed = ops.expunge(mailbox_id, uids, only_deleted); });
    return removed;
}

// A read and a map update: the new floor is written behind (see
// deferred_mutex_). The lock orders concurrent claims, so each message is
// \Recent for one caller only.
uint32_t SqliteStore::claim_recent(int64_t mailbox_id, uint32_t below) {
    uint32_t stored_floor = 0, uidnext = 0;
    {
        auto db = readers_->acquire();
        auto q = db->cached("SELECT recent_floor, uidnext FROM mailboxes WHERE id = ?1");
        q->bind(1, mailbox_id);
        if (!q->step()) throw MailboxNotFound(fmt::format("no mailbox with id {}", mailbox_id));
        stored_floor = static_cast<uint32_t>(q->int64(0));
        uidnext = static_cast<uint32_t>(q->int64(1));
    }
    std::lock_guard lock(deferred_mutex_);
    uint32_t& floor = recent_floors_[mailbox_id];
    floor = std::max(floor, stored_floor);
    const uint32_t first = floor;
    const uint32_t ceiling = std::min(below, uidnext);
    if (ceiling > floor) {
        floor = ceiling;
        pending_floors_[mailbox_id] = floor;
        schedule_deferred_write();
    }
    return first;
}

void SqliteStore::cache_derived(const std::string& sha256, DerivedData derived) {
    std::lock_guard lock(deferred_mutex_);
    // Another request may have left other parts of the same blob pending.
    DerivedData& pending = pending_derived_[sha256];
    if (derived.structure) pending.structure = std::move(derived.structure);
    if (derived.summary) pending.summary = std::move(derived.summary);
    if (derived.sort_keys) pending.sort_keys = std::move(derived.sort_keys);
    schedule_deferred_write();
}

void SqliteStore::schedule_deferred_write() {
    if (std::exchange(deferred_scheduled_, true)) return;  // the queued task takes this too
    // Fire and forget: losing it (store closing, disk full) only means
    // parsing a structure again or a message being \Recent once more.
    writer_->submit(
        [this](WriteOps& ops) {
            std::map<std::string, DerivedData> derived;
            std::map<int64_t, uint32_t> floors;
            {
                std::lock_guard lock(deferred_mutex_);
                derived.swap(pending_derived_);
                floors.swap(pending_floors_);
                deferred_scheduled_ = false;
            }
            for (const auto& [sha, d] : derived) ops.cache_derived(sha, d);
            for (const auto& [id, floor] : floors) ops.raise_recent_floor(id, floor);
        },
        [](std::exception_ptr error) {
            if (error) log::debug("store: deferred cache and \\Recent writes failed");
        });
}

}  // namespace pochta::store
