// Read-only connections for the query side. WAL lets each read in its own
// snapshot beside the writer; a thread borrows one per call and returns it,
// so the number of connections follows the number of concurrent readers.
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>
#include <vector>

#include "store/sqlite_db.hpp"

namespace pochta::store {

class ReadPool {
public:
    ReadPool(std::filesystem::path file, size_t max_idle);

    class Lease {
    public:
        Lease(ReadPool& pool, std::unique_ptr<Db> db) : pool_(pool), db_(std::move(db)) {}
        ~Lease() { pool_.give_back(std::move(db_)); }
        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;
        Db& operator*() { return *db_; }
        Db* operator->() { return db_.get(); }

    private:
        ReadPool& pool_;
        std::unique_ptr<Db> db_;
    };

    Lease acquire();

private:
    void give_back(std::unique_ptr<Db> db);

    std::filesystem::path file_;
    size_t max_idle_;
    std::mutex mutex_;
    std::vector<std::unique_ptr<Db>> idle_;
};

}  // namespace pochta::store
