// Message bodies too large to keep inline in the index live as immutable,
// content-addressed files: data_dir/blobs/ab/cd/<sha256>. A file appears
// only through temp file -> fsync -> rename -> fsync(dir), so a file under
// blobs/ is always complete; one without an index row is an orphan of a
// crash and is removed at open.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "store/result.hpp"
#include "store/sha256.hpp"

namespace pochta::store {

// Throws StoreError "WHAT PATH: strerror(errno)" with the kind errno means
// (disk_full for ENOSPC...).
[[noreturn]] void fail_errno(std::string_view what, const std::filesystem::path& path);

class BlobFiles {
public:
    explicit BlobFiles(std::filesystem::path data_dir);

    std::filesystem::path path_for(std::string_view sha256) const;
    bool exists(std::string_view sha256) const;

    // Writes data durably under its hash. Throws StoreError (e.g. disk full);
    // then nothing is left behind but, at worst, a temp file.
    void write(std::string_view sha256, std::string_view data) const;

    // Empty when the blob file exists with `expected_size` bytes, else an
    // unavailable Error naming it. A stat, no read.
    Error check(std::string_view sha256, uint64_t expected_size) const;

    // Makes the finished, fsync'd file at `path` (a spool) the blob `sha256`
    // by a hard link; the spool keeps its own name until it goes.
    void adopt(std::string_view sha256, const std::filesystem::path& path) const;

    // Whole content of a blob file; throws StoreError when it is missing or
    // its size differs from `expected_size`.
    std::string read(std::string_view sha256, uint64_t expected_size) const;

    // Up to `length` bytes from `offset` (fewer at the end of the file,
    // none past it), read with pread so a large file is never loaded whole.
    std::string read_range(std::string_view sha256, uint64_t expected_size, uint64_t offset,
                           uint64_t length) const;

    // Calls fn with successive pieces (at most 1 MiB each) of the file.
    void scan(std::string_view sha256, uint64_t expected_size,
              const std::function<void(std::string_view)>& fn) const;

    // Unlinks a blob file if present; errors are logged, not thrown, since
    // a leftover is only wasted space and is collected at the next open.
    void remove(std::string_view sha256) const;

    // Removes every file in data_dir/tmp. Returns how many were removed.
    size_t clean_tmp() const;

    // The sha256 of every blob file at the place ours go.
    std::vector<std::string> list() const;

    // Calls keep(sha256) for every blob file; unlinks those for which it
    // returns false. Returns how many were removed.
    template <typename Keep>
    size_t remove_orphans(Keep&& keep) const;

    const std::filesystem::path& blob_dir() const { return blobs_; }
    const std::filesystem::path& tmp_dir() const { return tmp_; }

private:
    std::filesystem::path blobs_;
    std::filesystem::path tmp_;
};

template <typename Keep>
size_t BlobFiles::remove_orphans(Keep&& keep) const {
    size_t removed = 0;
    for (const std::string& name : list()) {
        if (!keep(name)) {
            remove(name);
            ++removed;
        }
    }
    return removed;
}

}  // namespace pochta::store
