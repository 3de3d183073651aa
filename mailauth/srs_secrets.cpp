#include "mailauth/srs_secrets.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <openssl/rand.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include "common/util/strings.hpp"

namespace pochta::mailauth {
namespace {

constexpr size_t max_secrets = 100;
constexpr size_t min_secret = 16;
constexpr size_t max_secret = 1024;
constexpr size_t random_bytes = 32;
constexpr uintmax_t max_file_size = 128 * 1024;

[[noreturn]] void fail(const std::filesystem::path& file, std::string_view reason) {
    throw std::runtime_error(fmt::format("{}: {}", file.string(), reason));
}

// O_EXCL: two processes starting at once never overwrite each other's secret.
void create_secret_file(const std::filesystem::path& file) {
    unsigned char bytes[random_bytes];
    if (RAND_bytes(bytes, sizeof bytes) != 1) fail(file, "no random bytes for a new secret");
    std::string line = base64_encode(std::string_view(reinterpret_cast<const char*>(bytes), sizeof bytes)) + "\n";
    int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        if (errno == EEXIST) return;
        fail(file, fmt::format("cannot create: {}", std::strerror(errno)));
    }
    bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) && ::fsync(fd) == 0;
    int saved = errno;
    ::close(fd);
    if (!ok) fail(file, fmt::format("cannot write: {}", std::strerror(saved)));
}

}  // namespace

std::vector<std::string> load_srs_secrets(const std::filesystem::path& file) {
    std::error_code ec;
    if (!std::filesystem::exists(file, ec)) create_secret_file(file);
    auto size = std::filesystem::file_size(file, ec);
    if (ec) fail(file, fmt::format("cannot read: {}", ec.message()));
    if (size > max_file_size) fail(file, "larger than 128 KiB, not a secrets file");
    std::ifstream in(file, std::ios::binary);
    if (!in) fail(file, fmt::format("cannot read: {}", std::strerror(errno)));
    std::vector<std::string> secrets;
    std::string line;
    while (std::getline(in, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        std::string_view text = trim(line);
        if (text.empty() || text.front() == '#') continue;
        if (text.size() < min_secret || text.size() > max_secret)
            fail(file, fmt::format("a secret must have {} to {} characters", min_secret, max_secret));
        if (secrets.size() == max_secrets) fail(file, fmt::format("more than {} secrets", max_secrets));
        secrets.emplace_back(text);
    }
    if (secrets.empty()) fail(file, "no secret in the file");
    return secrets;
}

}  // namespace pochta::mailauth
