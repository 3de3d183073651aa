#include "store/spool.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "common/util/strings.hpp"

namespace pochta::store {

namespace {

Error errno_error(std::string_view what, const std::filesystem::path& path) {
    const int error_number = errno;
    return {kind_of_errno(error_number), fmt::format("{} {}: {}", what, path.string(), std::strerror(error_number))};
}

}  // namespace

std::string_view content_of(const Delivery& delivery) {
    return delivery.spool ? delivery.spool->view() : std::string_view(delivery.data);
}

std::string_view content_of(const AppendRequest& request) {
    return request.spool ? request.spool->view() : std::string_view(request.data);
}

Spool::Spool(std::filesystem::path dir) : dir_(std::move(dir)) {}

Spool::~Spool() {
    if (map_) ::munmap(map_, size_);
    if (fd_ >= 0) {
        ::close(fd_);
        ::unlink(path_.c_str());
    }
}

void Spool::open_file() {
    path_ = dir_ / fmt::format("spool.{}", random_hex(8));
    fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd_ < 0) error_ = errno_error("create", path_);
}

void Spool::append(std::string_view bytes) {
    if (error_ || bytes.empty()) return;
    if (fd_ < 0) open_file();
    if (error_) return;
    hash_.update(bytes);
    crlf_.feed(bytes);
    size_ += bytes.size();
    while (!bytes.empty()) {
        const ssize_t n = ::write(fd_, bytes.data(), bytes.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            error_ = errno_error("write", path_);
            return;
        }
        bytes.remove_prefix(static_cast<size_t>(n));
    }
}

Error Spool::finish() {
    if (!error_ && fd_ < 0) open_file();  // an empty message still has its file
    if (!error_ && ::fsync(fd_) != 0) error_ = errno_error("fsync", path_);
    if (!error_) sha256_ = hash_.finish();
    return error_;
}

std::string_view Spool::view() {
    std::lock_guard lock(map_mutex_);
    if (size_ == 0) return {};
    if (!map_) {
        void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd_, 0);
        if (p == MAP_FAILED) {
            Error e = errno_error("mmap", path_);
            throw StoreError(e.message, e.kind);
        }
        map_ = p;
    }
    return {static_cast<const char*>(map_), size_};
}

}  // namespace pochta::store
