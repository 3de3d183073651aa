#include "store/dir_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "common/util/log.hpp"
#include "store/store.hpp"

namespace pochta::store {

DirLock::DirLock(const std::filesystem::path& data_dir) {
    const auto path = data_dir / "lock";
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd_ < 0) throw StoreError(fmt::format("open {}: {}", path.string(), std::strerror(errno)));
    if (::flock(fd_, LOCK_EX | LOCK_NB) == 0) {
        exclusive_ = true;
        return;
    }
    // Someone else has the store open: join them without cleaning up.
    if (::flock(fd_, LOCK_SH) != 0)
        log::warn("store: cannot share-lock {}: {}", path.string(), std::strerror(errno));
}

DirLock::~DirLock() {
    if (fd_ >= 0) ::close(fd_);  // releases the lock
}

void DirLock::share() {
    if (!exclusive_) return;
    if (::flock(fd_, LOCK_SH) != 0) log::warn("store: cannot downgrade the data_dir lock: {}", std::strerror(errno));
    exclusive_ = false;
}

}  // namespace pochta::store
