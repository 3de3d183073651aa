// A thin RAII layer over one SQLite connection and its prepared statements.
// Every failure becomes a StoreError naming the statement, so callers never
// look at raw result codes. A Db is used by one thread at a time.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "store/store.hpp"

namespace pochta::store {

// The kind of the last error on this connection (SQLITE_FULL is disk_full).
ErrorKind sqlite_error_kind(sqlite3* db);

class Stmt {
public:
    Stmt(sqlite3* db, std::string_view sql);
    ~Stmt();
    Stmt(const Stmt&) = delete;
    Stmt& operator=(const Stmt&) = delete;

    // Binding is 1-based like SQLite; text and blobs are copied.
    Stmt& bind(int index, int64_t value);
    Stmt& bind(int index, std::string_view text);
    Stmt& bind_blob(int index, std::string_view bytes);
    Stmt& bind_null(int index);

    // True while a row is available; false when done. Throws on error.
    bool step();
    // Runs a statement that returns no rows (or whose rows are ignored).
    void run();
    // Resets and clears bindings so a cached statement can be reused.
    void reset();

    int64_t int64(int column) const;
    std::string text(int column) const;
    // Blob column as bytes; nullopt when the column is NULL.
    std::optional<std::string> blob(int column) const;
    bool is_null(int column) const;

private:
    sqlite3* db_;
    sqlite3_stmt* stmt_ = nullptr;
};

// A borrowed cached statement, reset when the borrow ends so it never keeps
// a read snapshot (and with it the WAL) pinned between uses.
class Query {
public:
    explicit Query(Stmt& stmt) : stmt_(stmt) {}
    ~Query() { stmt_.reset(); }
    Query(const Query&) = delete;
    Query& operator=(const Query&) = delete;
    Stmt* operator->() { return &stmt_; }
    Stmt& operator*() { return stmt_; }

private:
    Stmt& stmt_;
};

class Db {
public:
    enum class Role { writer, reader, checkpointer };

    Db(const std::filesystem::path& file, Role role);
    ~Db();
    Db(const Db&) = delete;
    Db& operator=(const Db&) = delete;

    void exec(const char* sql);
    // A statement prepared once per connection, borrowed for one use.
    // `sql` must be a string literal (its address is the cache key).
    Query cached(const char* sql);
    // Single integer result of a query such as "PRAGMA user_version".
    int64_t query_int(const char* sql);

    sqlite3* handle() { return db_; }

private:
    sqlite3* db_ = nullptr;
    std::unordered_map<const char*, std::unique_ptr<Stmt>> cache_;
};

// BEGIN ... COMMIT with rollback on scope exit unless committed.
class Txn {
public:
    enum class Kind { deferred, immediate };
    Txn(Db& db, Kind kind);
    ~Txn();
    Txn(const Txn&) = delete;
    Txn& operator=(const Txn&) = delete;
    void commit();

private:
    Db& db_;
    bool open_ = true;
};

// A SAVEPOINT that rolls back to itself on scope exit unless released, so
// one failing delivery leaves the rest of its batch intact.
class Savepoint {
public:
    explicit Savepoint(Db& db);
    ~Savepoint();
    Savepoint(const Savepoint&) = delete;
    Savepoint& operator=(const Savepoint&) = delete;
    void release();

private:
    Db& db_;
    bool open_ = true;
};

}  // namespace pochta::store
