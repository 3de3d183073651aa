#include "store/backup.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <set>

#include <fmt/format.h>

#include "store/blob_files.hpp"
#include "store/dir_lock.hpp"
#include "store/schema.hpp"
#include "store/sha256.hpp"
#include "store/sqlite_db.hpp"

namespace pochta::store {

namespace fs = std::filesystem;

namespace {

void fsync_path(const fs::path& path, bool directory) {
    const int fd = ::open(path.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
    if (fd < 0) fail_errno("open", path);
    const int rc = ::fsync(fd);
    ::close(fd);
    if (rc != 0) fail_errno("fsync", path);
}

void make_private_dirs(const fs::path& dir) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) throw StoreError(fmt::format("cannot create {}: {}", dir.string(), ec.message()));
    fs::permissions(dir, fs::perms::owner_all, ec);
}

// Copies a file to `to` through a temporary name beside it: `to` appears
// complete and fsync'd, or not at all. Returns the bytes copied.
uint64_t copy_durably(const fs::path& from, const fs::path& to) {
    make_private_dirs(to.parent_path());
    const fs::path tmp = to.string() + ".part";
    std::error_code ec;
    fs::copy_file(from, tmp, fs::copy_options::overwrite_existing, ec);
    if (ec) throw StoreError(fmt::format("copy {} to {}: {}", from.string(), tmp.string(), ec.message()));
    fs::permissions(tmp, fs::perms::owner_read | fs::perms::owner_write, ec);
    fsync_path(tmp, false);
    if (::rename(tmp.c_str(), to.c_str()) != 0) fail_errno("rename to", to);
    fsync_path(to.parent_path(), true);
    return fs::file_size(to);
}

bool has_file_of_size(const fs::path& path, uint64_t size) {
    struct stat st;
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && static_cast<uint64_t>(st.st_size) == size;
}

struct BlobName {
    std::string sha256;
    uint64_t size = 0;
};

std::vector<BlobName> file_blobs(Db& db) {
    std::vector<BlobName> out;
    auto q = db.cached("SELECT sha256, size FROM blobs WHERE inline_data IS NULL");
    while (q->step()) out.push_back({q->text(0), static_cast<uint64_t>(q->int64(1))});
    return out;
}

// SQLite's online backup of the live index in one step: one read snapshot,
// which in WAL mode never holds up the server's writer.
void copy_index(const fs::path& live, const fs::path& copy) {
    Db source(live, Db::Role::reader);
    fs::remove(copy);
    sqlite3* dest = nullptr;
    if (sqlite3_open_v2(copy.c_str(), &dest, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK) {
        sqlite3_close(dest);
        throw StoreError(fmt::format("sqlite: cannot create {}", copy.string()));
    }
    sqlite3_backup* backup = sqlite3_backup_init(dest, "main", source.handle(), "main");
    int rc = backup ? sqlite3_backup_step(backup, -1) : sqlite3_errcode(dest);
    if (backup) sqlite3_backup_finish(backup);
    // A copy on its own: no WAL beside it to lose when it is moved.
    if (rc == SQLITE_DONE) rc = sqlite3_exec(dest, "PRAGMA journal_mode=DELETE", nullptr, nullptr, nullptr);
    const std::string message = sqlite3_errmsg(dest);
    const ErrorKind kind = sqlite_error_kind(dest);
    sqlite3_close(dest);
    if (rc != SQLITE_OK && rc != SQLITE_DONE)
        throw StoreError(fmt::format("sqlite backup to {}: {}", copy.string(), message), kind);
    ::chmod(copy.c_str(), 0600);
}

bool live_store_names(Db& live, const std::string& sha256) {
    auto q = live.cached("SELECT 1 FROM blobs WHERE sha256 = ?1");
    q->bind(1, sha256);
    return q->step();
}

// The rows of blobs that went from the live store before they were copied.
uint64_t leave_out(Db& copy, const std::vector<std::string>& gone) {
    uint64_t messages = 0;
    Txn txn(copy, Txn::Kind::immediate);
    for (const auto& sha256 : gone) {
        auto count = copy.cached(
            "SELECT count(*) FROM messages WHERE blob_id = (SELECT id FROM blobs WHERE sha256 = ?1)");
        count->bind(1, sha256);
        if (count->step()) messages += static_cast<uint64_t>(count->int64(0));
        for (const char* sql : {"DELETE FROM messages WHERE blob_id = (SELECT id FROM blobs WHERE sha256 = ?1)",
                                "DELETE FROM queue WHERE blob_id = (SELECT id FROM blobs WHERE sha256 = ?1)",
                                "DELETE FROM blobs WHERE sha256 = ?1"}) {
            auto q = copy.cached(sql);
            q->bind(1, sha256).run();
        }
    }
    txn.commit();
    return messages;
}

uint64_t prune(const BlobFiles& files, const std::vector<BlobName>& named) {
    std::set<std::string> keep;
    for (const auto& blob : named) keep.insert(blob.sha256);
    return files.remove_orphans([&](const std::string& sha256) { return keep.count(sha256) > 0; });
}

std::string integrity_of(Db& db) {
    auto q = db.cached("PRAGMA integrity_check(1)");
    return q->step() ? q->text(0) : "no answer";
}

}  // namespace

BackupReport backup_store(const fs::path& data_dir, const fs::path& dir) {
    const fs::path live_index = data_dir / "index.db";
    if (!fs::exists(live_index)) throw StoreError(fmt::format("no store in {}", data_dir.string()));
    make_private_dirs(dir);  // the copy holds mail: 0700 like data_dir
    make_private_dirs(dir / "blobs");
    const fs::path fresh = dir / "index.db.new";
    copy_index(live_index, fresh);

    BackupReport report;
    const BlobFiles live_files(data_dir);
    const BlobFiles backup_files(dir);
    Db live(live_index, Db::Role::reader);
    std::vector<BlobName> named;
    {
        Db copy(fresh, Db::Role::reader);
        named = file_blobs(copy);
    }
    std::vector<std::string> gone;
    for (const auto& blob : named) {
        const fs::path target = backup_files.path_for(blob.sha256);
        if (has_file_of_size(target, blob.size)) {
            ++report.blobs_kept;
            continue;
        }
        const fs::path source = live_files.path_for(blob.sha256);
        if (!fs::exists(source) && !live_store_names(live, blob.sha256)) {
            gone.push_back(blob.sha256);
            continue;
        }
        report.bytes_copied += copy_durably(source, target);
        ++report.blobs_copied;
    }
    if (!gone.empty()) {
        Db copy(fresh, Db::Role::writer);
        report.messages_left_out = leave_out(copy, gone);
        copy.exec("PRAGMA journal_mode=DELETE");
    }
    fsync_path(fresh, false);
    if (::rename(fresh.c_str(), (dir / "index.db").c_str()) != 0) fail_errno("rename to", dir / "index.db");
    fsync_path(dir, true);
    Db done(dir / "index.db", Db::Role::reader);
    report.blobs_pruned = prune(backup_files, file_blobs(done));
    return report;
}

std::vector<std::string> check_backup(const fs::path& dir) {
    const fs::path index = dir / "index.db";
    if (!fs::exists(index)) return {fmt::format("no {}", index.string())};
    std::vector<std::string> problems;
    Db db(index, Db::Role::reader);
    if (const auto verdict = integrity_of(db); verdict != "ok")
        problems.push_back(fmt::format("{}: {}", index.string(), verdict));
    const int64_t version = db.query_int("PRAGMA user_version");
    if (version < 1 || version > schema_version())
        problems.push_back(fmt::format("{}: schema version {}, this pochta reads 1 to {}", index.string(), version,
                                       schema_version()));
    const BlobFiles files(dir);
    for (const auto& blob : file_blobs(db)) {
        try {
            Sha256 hash;
            files.scan(blob.sha256, blob.size, [&](std::string_view piece) { hash.update(piece); });
            if (hash.finish() != blob.sha256) problems.push_back(fmt::format("blob {} is damaged", blob.sha256));
        } catch (const StoreError& e) {
            problems.push_back(e.what());
        }
    }
    return problems;
}

RestoreReport restore_store(const fs::path& dir, const fs::path& data_dir) {
    make_private_dirs(data_dir);
    DirLock lock(data_dir);
    if (!lock.exclusive())
        throw StoreError(fmt::format("{} is in use (stop the server first)", data_dir.string()), ErrorKind::refused);
    if (fs::exists(data_dir / "index.db"))
        throw StoreError(fmt::format("{} has a store already (move it away first)", data_dir.string()),
                         ErrorKind::already_exists);
    RestoreReport report;
    const BlobFiles from(dir);
    const BlobFiles to(data_dir);
    std::vector<BlobName> named;
    {
        Db backup(dir / "index.db", Db::Role::reader);
        named = file_blobs(backup);
    }
    // Blobs first: an index never names a file that is not there yet.
    for (const auto& blob : named) {
        report.bytes += copy_durably(from.path_for(blob.sha256), to.path_for(blob.sha256));
        ++report.blobs;
    }
    fsync_path(to.blob_dir(), true);
    copy_durably(dir / "index.db", data_dir / "index.db");
    fsync_path(data_dir, true);
    return report;
}

}  // namespace pochta::store
