#include "server/process_limits.hpp"

#include <sys/resource.h>
#include <sys/stat.h>

#include <filesystem>
#include <system_error>

#include "common/util/log.hpp"

namespace pochta::cli {
namespace {

namespace fs = std::filesystem;

// Descriptors besides client connections: listeners, the index and its WAL,
// blobs being read or written by the store workers, DNS sockets, the log,
// spool files; outbound connections are added from the configuration.
constexpr rlim_t descriptor_margin = 128;

bool open_to_others(fs::perms perms) {
    return (perms & (fs::perms::group_all | fs::perms::others_all)) != fs::perms::none;
}

// Drops the group and other bits of `path`; true if it had any.
bool make_private(const fs::path& path) {
    std::error_code ec;
    auto status = fs::symlink_status(path, ec);
    if (ec || fs::is_symlink(status) || !open_to_others(status.permissions())) return false;
    fs::permissions(path, fs::perms::group_all | fs::perms::others_all, fs::perm_options::remove, ec);
    if (ec) {
        log::warn("cannot restrict the mode of {}: {}", path.string(), ec.message());
        return false;
    }
    return true;
}

}  // namespace

void raise_descriptor_limit(const Config& config) {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
    if (limit.rlim_cur < limit.rlim_max) {
        rlimit raised = limit;
        raised.rlim_cur = limit.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
    }
    rlim_t others = rlim_t{config.delivery.max_connections} + descriptor_margin;
    rlim_t needed = config.limits.max_connections + others;
    if (limit.rlim_cur == RLIM_INFINITY || needed <= limit.rlim_cur) return;
    log::warn("open file limit {} is below max_connections {} plus {} for delivery and the store: raise "
              "LimitNOFILE (systemd) or lower [limits] max_connections to {}",
              limit.rlim_cur, config.limits.max_connections, others,
              limit.rlim_cur > others ? limit.rlim_cur - others : 0);
}

void restrict_new_file_modes() { umask(077); }

void secure_data_dir(const Config& config) {
    std::error_code ec;
    if (!fs::is_directory(config.data_dir, ec)) return;  // the store creates it, 0700 under our umask
    const std::string dir = config.data_dir.string();
    if (make_private(config.data_dir)) log::warn("data_dir {} was open to other users: now mode 0700", dir);
    unsigned fixed = 0;
    for (const auto& entry : fs::directory_iterator(config.data_dir, ec))
        if (entry.is_regular_file(ec) && make_private(entry.path())) ++fixed;
    if (fixed > 0) log::warn("{} files in data_dir {} were open to other users: now mode 0600", fixed, dir);
}

void warn_about_secret_files(const Config& config) {
    for (const auto& warning : secret_file_warnings(config)) log::warn("{}", warning);
}

}  // namespace pochta::cli
