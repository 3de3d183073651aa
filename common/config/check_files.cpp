// `check-config`: the files the configuration names must be there and
// readable now, not at the first STARTTLS or the first relayed message.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>

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

}  // namespace

void check_config_files(const Config& config) {
    if (!config.tls.cert.empty()) check_readable(config, config.lines.tls_cert, "tls.cert", config.tls.cert);
    if (!config.tls.key.empty()) check_readable(config, config.lines.tls_key, "tls.key", config.tls.key);
    if (!config.delivery.relay_password_file.empty())
        check_readable(config, config.lines.relay_password_file, "delivery.relay_password_file",
                       config.delivery.relay_password_file);
}

}  // namespace pochta
