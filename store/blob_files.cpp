#include "store/blob_files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <utility>

#include <fmt/format.h>

#include "common/util/log.hpp"
#include "common/util/strings.hpp"
#include "store/store.hpp"

namespace pochta::store {

namespace fs = std::filesystem;

[[noreturn]] void fail_errno(std::string_view what, const fs::path& path) {
    const int error_number = errno;
    throw StoreError(fmt::format("{} {}: {}", what, path.string(), std::strerror(error_number)),
                     kind_of_errno(error_number));
}

namespace {

// Closes on scope exit so every error path releases the descriptor.
class Fd {
public:
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd() {
        if (fd_ >= 0) ::close(fd_);
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    Fd(Fd&& other) noexcept : fd_(other.release()) {}
    int get() const { return fd_; }
    int release() { return std::exchange(fd_, -1); }

private:
    int fd_;
};

void fsync_dir(const fs::path& dir) {
    Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (fd.get() < 0) fail_errno("open directory", dir);
    if (::fsync(fd.get()) != 0) fail_errno("fsync directory", dir);
}

// mkdir one level; when it is new, its parent's entry must be made durable
// too, or a crash could lose the directory along with the file inside it.
void make_dir_durable(const fs::path& dir) {
    if (::mkdir(dir.c_str(), 0700) == 0) {
        fsync_dir(dir.parent_path());
    } else if (errno != EEXIST) {
        fail_errno("mkdir", dir);
    }
}

void write_all(int fd, std::string_view data, const fs::path& path) {
    while (!data.empty()) {
        ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            fail_errno("write", path);
        }
        data.remove_prefix(static_cast<size_t>(n));
    }
}

}  // namespace

BlobFiles::BlobFiles(fs::path data_dir) : blobs_(data_dir / "blobs"), tmp_(data_dir / "tmp") {}

fs::path BlobFiles::path_for(std::string_view sha256) const {
    return blobs_ / sha256.substr(0, 2) / sha256.substr(2, 2) / sha256;
}

bool BlobFiles::exists(std::string_view sha256) const {
    struct stat st;
    return ::stat(path_for(sha256).c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

void BlobFiles::write(std::string_view sha256, std::string_view data) const {
    const fs::path final_path = path_for(sha256);
    const fs::path tmp_path = tmp_ / fmt::format("{}.{}", sha256.substr(0, 16), random_hex(8));
    {
        Fd fd(::open(tmp_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
        if (fd.get() < 0) fail_errno("create", tmp_path);
        try {
            write_all(fd.get(), data, tmp_path);
            if (::fsync(fd.get()) != 0) fail_errno("fsync", tmp_path);
        } catch (...) {
            ::unlink(tmp_path.c_str());
            throw;
        }
        if (::close(fd.release()) != 0) {
            ::unlink(tmp_path.c_str());
            fail_errno("close", tmp_path);
        }
    }
    try {
        make_dir_durable(final_path.parent_path().parent_path());
        make_dir_durable(final_path.parent_path());
        if (::rename(tmp_path.c_str(), final_path.c_str()) != 0) fail_errno("rename to", final_path);
        fsync_dir(final_path.parent_path());
    } catch (...) {
        ::unlink(tmp_path.c_str());
        throw;
    }
}

void BlobFiles::adopt(std::string_view sha256, const fs::path& path) const {
    const fs::path final_path = path_for(sha256);
    make_dir_durable(final_path.parent_path().parent_path());
    make_dir_durable(final_path.parent_path());
    if (::link(path.c_str(), final_path.c_str()) != 0 && errno != EEXIST) fail_errno("link to", final_path);
    fsync_dir(final_path.parent_path());
}

namespace {

// Opens a blob file and checks it has the size the index recorded.
Fd open_blob(const fs::path& path, uint64_t expected_size) {
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0 && errno == ENOENT)
        throw StoreError(fmt::format("blob {} is missing", path.string()), ErrorKind::unavailable);
    if (fd.get() < 0) fail_errno("open blob", path);
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) fail_errno("stat blob", path);
    if (static_cast<uint64_t>(st.st_size) != expected_size)
        throw StoreError(fmt::format("blob {} has {} bytes, index says {}", path.string(),
                                     static_cast<uint64_t>(st.st_size), expected_size),
                         ErrorKind::unavailable);
    return fd;
}

// Fills `out` from `offset` with pread; throws if the file ends early.
void pread_all(int fd, std::string& out, uint64_t offset, const fs::path& path) {
    size_t got = 0;
    while (got < out.size()) {
        ssize_t n = ::pread(fd, out.data() + got, out.size() - got, static_cast<off_t>(offset + got));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EIO)
            throw StoreError(fmt::format("blob {} is unreadable", path.string()), ErrorKind::unavailable);
        if (n < 0) fail_errno("read blob", path);
        if (n == 0)
            throw StoreError(fmt::format("blob {} shrank while reading", path.string()), ErrorKind::unavailable);
        got += static_cast<size_t>(n);
    }
}

}  // namespace

Error BlobFiles::check(std::string_view sha256, uint64_t expected_size) const {
    const fs::path path = path_for(sha256);
    struct stat st;
    if (::stat(path.c_str(), &st) != 0)
        return {ErrorKind::unavailable, fmt::format("blob {} is missing: {}", path.string(), std::strerror(errno))};
    if (static_cast<uint64_t>(st.st_size) != expected_size)
        return {ErrorKind::unavailable, fmt::format("blob {} has {} bytes, index says {}", path.string(),
                                                    static_cast<uint64_t>(st.st_size), expected_size)};
    return {};
}

std::string BlobFiles::read(std::string_view sha256, uint64_t expected_size) const {
    const fs::path path = path_for(sha256);
    Fd fd = open_blob(path, expected_size);
    std::string out(expected_size, '\0');
    pread_all(fd.get(), out, 0, path);
    return out;
}

std::string BlobFiles::read_range(std::string_view sha256, uint64_t expected_size, uint64_t offset,
                                  uint64_t length) const {
    const fs::path path = path_for(sha256);
    Fd fd = open_blob(path, expected_size);
    if (offset >= expected_size) return {};
    std::string out(std::min(length, expected_size - offset), '\0');
    pread_all(fd.get(), out, offset, path);
    return out;
}

void BlobFiles::scan(std::string_view sha256, uint64_t expected_size,
                     const std::function<void(std::string_view)>& fn) const {
    constexpr uint64_t chunk = 1024 * 1024;
    const fs::path path = path_for(sha256);
    Fd fd = open_blob(path, expected_size);
    std::string buf;
    for (uint64_t offset = 0; offset < expected_size; offset += chunk) {
        buf.resize(std::min(chunk, expected_size - offset));
        pread_all(fd.get(), buf, offset, path);
        fn(buf);
    }
}

std::vector<std::string> BlobFiles::list() const {
    std::vector<std::string> names;
    std::error_code ec;
    for (fs::recursive_directory_iterator it(blobs_, ec), end; !ec && it != end; it.increment(ec)) {
        if (!it->is_regular_file(ec)) continue;
        std::string name = it->path().filename().string();
        // Only files named like ours at the place ours go are ours to judge.
        if (is_sha256_hex(name) && it->path() == path_for(name)) names.push_back(std::move(name));
    }
    return names;
}

void BlobFiles::remove(std::string_view sha256) const {
    const fs::path path = path_for(sha256);
    if (::unlink(path.c_str()) != 0 && errno != ENOENT)
        log::warn("store: cannot remove blob {}: {}", path.string(), std::strerror(errno));
}

size_t BlobFiles::clean_tmp() const {
    size_t removed = 0;
    std::error_code ec;
    for (fs::directory_iterator it(tmp_, ec), end; !ec && it != end; it.increment(ec)) {
        std::error_code rm_ec;
        if (fs::remove_all(it->path(), rm_ec) > 0) ++removed;
        if (rm_ec) log::warn("store: cannot remove {}: {}", it->path().string(), rm_ec.message());
    }
    return removed;
}

}  // namespace pochta::store
