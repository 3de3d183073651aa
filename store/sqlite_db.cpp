#include "store/sqlite_db.hpp"

#include <fmt/format.h>

namespace pochta::store {

ErrorKind sqlite_error_kind(sqlite3* db) {
    switch (sqlite3_extended_errcode(db) & 0xff) {
        case SQLITE_FULL: return ErrorKind::disk_full;
        case SQLITE_BUSY:
        case SQLITE_LOCKED: return ErrorKind::temporary;
        case SQLITE_IOERR:
            // A write or fsync that ran out of space can come back as an I/O error.
            return kind_of_errno(sqlite3_system_errno(db)) == ErrorKind::disk_full ? ErrorKind::disk_full
                                                                                    : ErrorKind::internal;
        default: return ErrorKind::internal;
    }
}

namespace {

[[noreturn]] void fail(sqlite3* db, std::string_view what) {
    throw StoreError(fmt::format("sqlite: {}: {}", what, db ? sqlite3_errmsg(db) : "out of memory"),
                     db ? sqlite_error_kind(db) : ErrorKind::internal);
}

// Statements are short; the start of the SQL is enough to find the culprit.
std::string_view excerpt(std::string_view sql) { return sql.substr(0, 60); }

}  // namespace

Stmt::Stmt(sqlite3* db, std::string_view sql) : db_(db) {
    if (sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                           &stmt_, nullptr) != SQLITE_OK)
        fail(db, fmt::format("prepare '{}'", excerpt(sql)));
}

Stmt::~Stmt() { sqlite3_finalize(stmt_); }

Stmt& Stmt::bind(int index, int64_t value) {
    if (sqlite3_bind_int64(stmt_, index, value) != SQLITE_OK) fail(db_, "bind");
    return *this;
}

Stmt& Stmt::bind(int index, std::string_view text) {
    if (sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8) !=
        SQLITE_OK)
        fail(db_, "bind");
    return *this;
}

Stmt& Stmt::bind_blob(int index, std::string_view bytes) {
    // A zero-length blob must still be a blob, not NULL: NULL means "in a file".
    if (sqlite3_bind_blob64(stmt_, index, bytes.empty() ? "" : bytes.data(), bytes.size(),
                            SQLITE_TRANSIENT) != SQLITE_OK)
        fail(db_, "bind");
    return *this;
}

Stmt& Stmt::bind_null(int index) {
    if (sqlite3_bind_null(stmt_, index) != SQLITE_OK) fail(db_, "bind");
    return *this;
}

bool Stmt::step() {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    std::string sql = sqlite3_sql(stmt_) ? sqlite3_sql(stmt_) : "";
    // Reset so the statement releases its locks before the error travels up.
    sqlite3_reset(stmt_);
    fail(db_, fmt::format("'{}'", excerpt(sql)));
}

void Stmt::run() {
    while (step()) {
    }
}

void Stmt::reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
}

int64_t Stmt::int64(int column) const { return sqlite3_column_int64(stmt_, column); }

std::string Stmt::text(int column) const {
    auto p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
    return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(stmt_, column))) : std::string();
}

std::optional<std::string> Stmt::blob(int column) const {
    if (sqlite3_column_type(stmt_, column) == SQLITE_NULL) return std::nullopt;
    auto p = static_cast<const char*>(sqlite3_column_blob(stmt_, column));
    auto n = static_cast<size_t>(sqlite3_column_bytes(stmt_, column));
    return p ? std::string(p, n) : std::string();
}

bool Stmt::is_null(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }

Db::Db(const std::filesystem::path& file, Role role) {
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
    if (role == Role::writer) flags |= SQLITE_OPEN_CREATE;
    if (sqlite3_open_v2(file.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
        std::string msg = fmt::format("sqlite: open {}: {}", file.string(),
                                      db_ ? sqlite3_errmsg(db_) : "out of memory");
        sqlite3_close(db_);
        throw StoreError(msg);
    }
    try {
        sqlite3_extended_result_codes(db_, 1);
        // Before any PRAGMA: switching to WAL needs a lock another process
        // (a server beside a CLI command) may hold for a moment.
        sqlite3_busy_timeout(db_, role == Role::checkpointer ? 200 : 10000);
        exec("PRAGMA foreign_keys=ON");
        switch (role) {
        case Role::writer:
            // Acknowledged mail must survive power loss: fsync the WAL at
            // every commit. Checkpoints run on their own thread instead of
            // inside whichever commit crosses the threshold.
            exec("PRAGMA journal_mode=WAL");
            exec("PRAGMA synchronous=FULL");
            exec("PRAGMA wal_autocheckpoint=0");
            // When the WAL starts over (GroupWriter::rewind_wal), its file is
            // cut back to this size instead of keeping its largest.
            exec("PRAGMA journal_size_limit=67108864");
            break;
        case Role::reader:
            exec("PRAGMA query_only=1");
            // Pages of the database file (message bodies kept inline above
            // all) are read through a shared mapping instead of a pread()
            // copy each into every reader's own cache. Address space only.
            exec("PRAGMA mmap_size=1073741824");
            break;
        case Role::checkpointer:
            exec("PRAGMA synchronous=FULL");
            exec("PRAGMA wal_autocheckpoint=0");
            // A TRUNCATE checkpoint waits for readers: its short busy timeout
            // (above) makes it give up quickly and retry later.
            break;
        }
    } catch (...) {
        sqlite3_close(db_);
        throw;
    }
}

Db::~Db() {
    cache_.clear();  // statements must be finalized before the connection closes
    sqlite3_close(db_);
}

void Db::exec(const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
        std::string msg = fmt::format("sqlite: '{}': {}", excerpt(sql), err ? err : sqlite3_errmsg(db_));
        sqlite3_free(err);
        throw StoreError(msg, sqlite_error_kind(db_));
    }
}

Query Db::cached(const char* sql) {
    auto& slot = cache_[sql];
    if (!slot) slot = std::make_unique<Stmt>(db_, sql);
    return Query(*slot);
}

int64_t Db::query_int(const char* sql) {
    Stmt stmt(db_, sql);
    return stmt.step() ? stmt.int64(0) : 0;
}

Txn::Txn(Db& db, Kind kind) : db_(db) {
    db_.exec(kind == Kind::immediate ? "BEGIN IMMEDIATE" : "BEGIN");
}

Txn::~Txn() {
    if (!open_) return;
    // After some errors SQLite has already rolled back; a second ROLLBACK
    // then fails harmlessly.
    sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void Txn::commit() {
    db_.exec("COMMIT");
    open_ = false;
}

Savepoint::Savepoint(Db& db) : db_(db) { db_.exec("SAVEPOINT one_item"); }

Savepoint::~Savepoint() {
    if (!open_) return;
    sqlite3_exec(db_.handle(), "ROLLBACK TO one_item; RELEASE one_item", nullptr, nullptr, nullptr);
}

void Savepoint::release() {
    db_.exec("RELEASE one_item");
    open_ = false;
}

}  // namespace pochta::store
