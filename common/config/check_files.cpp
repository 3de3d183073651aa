// `check-config`: the files the configuration names must be there and
// readable now, not at the first STARTTLS or the first relayed message.
#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "common/config/config.hpp"

namespace pochta {

namespace {

void check_readable(const Config& config, unsigned line, std::string_view key, const std::filesystem::path& path) {
    auto fail = [&](std::string_view reason) {
        std::string where = line ? fmt::format("{}:{}", config.file.string(), line) : config.file.string();
        throw ConfigError(fmt::format("{}: {} {}: {}", where, key, path.string(), reason));
    };
    // Opening (rather than access(2)) answers for the user we run as, root included.
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) fail(std::strerror(errno));
    struct stat st {};
    int rc = ::fstat(fd, &st);
    ::close(fd);
    if (rc != 0) fail(std::strerror(errno));
    if (!S_ISREG(st.st_mode)) fail("not a regular file");
    if (st.st_size == 0) fail("empty file");
}

// Password hashes and the relay password are secrets (README "Files and
// modes"): mode 0600, or 0640 with the group of run_as (etc/pochta.toml).
bool group_is_run_as(const Config& config, gid_t gid) {
    if (config.run_as.empty()) return false;
    passwd* pw = getpwnam(config.run_as.c_str());
    return pw && pw->pw_gid == gid;
}

void warn_if_exposed(std::vector<std::string>& out, const Config& config, std::string_view what,
                     const std::filesystem::path& path) {
    struct stat st {};
    if (path.empty() || ::stat(path.c_str(), &st) != 0) return;
    bool others = (st.st_mode & S_IRWXO) != 0;
    bool group = (st.st_mode & S_IRWXG) != 0 && !group_is_run_as(config, st.st_gid);
    if (!others && !group) return;
    const char* who = others ? (group ? "group and others" : "others") : "its group";
    out.push_back(fmt::format("{} {} is readable by {} (mode {:04o}): chmod 600 it (or 640 with the group of run_as)",
                              what, path.string(), who, st.st_mode & 07777));
}

}  // namespace

std::vector<std::string> secret_file_warnings(const Config& config) {
    std::vector<std::string> out;
    warn_if_exposed(out, config, "users file", config.users_file);
    warn_if_exposed(out, config, "delivery.relay_password_file", config.delivery.relay_password_file);
    return out;
}

void check_config_files(const Config& config) {
    // Under [acme] the files are pochta's own and may not exist yet.
    if (config.acme.directory.empty()) {
        if (!config.tls.cert.empty()) check_readable(config, config.lines.tls_cert, "tls.cert", config.tls.cert);
        if (!config.tls.key.empty()) check_readable(config, config.lines.tls_key, "tls.key", config.tls.key);
    }
    if (!config.delivery.relay_password_file.empty())
        check_readable(config, config.lines.relay_password_file, "delivery.relay_password_file",
                       config.delivery.relay_password_file);
}

}  // namespace pochta
