// Shared helpers for the store tests: a private temporary data_dir, raw
// looks into index.db and the blob folder, and delivery builders.
#pragma once

#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "store/store.hpp"

namespace pochta::store::testing {

// The kind of the StoreError `fn` throws; none when it throws nothing.
inline ErrorKind kind_of(const std::function<void()>& fn) {
    try {
        fn();
    } catch (const StoreError& e) {
        return e.kind();
    }
    return ErrorKind::none;
}

class TempDir {
public:
    TempDir() {
        std::string tmpl = (std::filesystem::temp_directory_path() / "pochta-store-XXXXXX").string();
        if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
        path_ = tmpl;
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return path_; }
    // The data_dir lives one level down so the store has to create it.
    std::filesystem::path data() const { return path_ / "data"; }

private:
    std::filesystem::path path_;
};

// One integer from index.db, read through a separate connection, so the
// tests check what is on disk rather than what the store reports.
inline int64_t query_int(const std::filesystem::path& data_dir, const std::string& sql) {
    sqlite3* db = nullptr;
    if (sqlite3_open_v2((data_dir / "index.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
        sqlite3_close(db);
        throw std::runtime_error("cannot open index.db");
    }
    sqlite3_busy_timeout(db, 5000);
    sqlite3_stmt* stmt = nullptr;
    int64_t value = -1;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK && sqlite3_step(stmt) == SQLITE_ROW)
        value = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    if (value < 0) throw std::runtime_error("query failed: " + sql);
    return value;
}

inline size_t count_files(const std::filesystem::path& dir) {
    size_t n = 0;
    std::error_code ec;
    for (std::filesystem::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
        if (it->is_regular_file()) ++n;
    return n;
}

inline std::string message_text(size_t size, char fill = 'x', const std::string& tag = "") {
    std::string head = "Subject: test " + tag + "\r\n\r\n";
    std::string body(size > head.size() ? size - head.size() : 0, fill);
    return (head + body).substr(0, std::max(size, head.size()));
}

inline Delivery local_delivery(std::vector<std::string> users, std::string data, std::string queue_id = "q1") {
    Delivery d;
    d.queue_id = std::move(queue_id);
    d.envelope_from = "sender@example.net";
    d.data = std::move(data);
    d.local_users = std::move(users);
    return d;
}

}  // namespace pochta::store::testing
