// `pochta user ...` edits: read the users file, change one line, write it
// back atomically. Lines this code does not touch (comments, odd entries)
// come back byte for byte.
#include "common/auth/users_file.hpp"

#include <fcntl.h>
#include <pwd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
#include <utility>
#include <stdexcept>

#include "common/auth/address_syntax.hpp"
#include "common/auth/password.hpp"
#include "common/util/strings.hpp"

namespace pochta::auth {

namespace {

namespace fs = std::filesystem;

[[noreturn]] void fail_errno(std::string_view what, const fs::path& path) {
    throw std::runtime_error(fmt::format("{} {}: {}", what, path.string(), std::strerror(errno)));
}

// Closes a descriptor on every path out.
class Fd {
public:
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd() {
        if (fd_ >= 0) ::close(fd_);
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const { return fd_; }
    int release() { return std::exchange(fd_, -1); }

private:
    int fd_;
};

struct UsersFile {
    fs::path path;                   // the real file (symlinks followed)
    bool exists = false;
    struct stat st {};
    std::vector<std::string> lines;  // as in the file, "\r" kept
};

// The address field of a user line; nullopt for comments, blanks and lines
// without a ':'.
std::optional<std::string> address_of(std::string_view line) {
    std::string_view t = trim(line);
    if (t.empty() || t.front() == '#') return std::nullopt;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    return std::string(trim(line.substr(0, colon)));
}

std::optional<size_t> find_line(const UsersFile& file, const std::string& address) {
    for (size_t i = 0; i < file.lines.size(); i++) {
        auto a = address_of(file.lines[i]);
        if (a && iequals(*a, address)) return i;
    }
    return std::nullopt;
}

UsersFile read_users(const fs::path& configured) {
    UsersFile file;
    std::error_code ec;
    file.path = fs::is_symlink(configured, ec) ? fs::canonical(configured) : configured;
    if (::stat(file.path.c_str(), &file.st) != 0) {
        if (errno != ENOENT) fail_errno("cannot stat", file.path);
        return file;  // `user add` creates it
    }
    file.exists = true;
    std::ifstream in(file.path, std::ios::binary);
    if (!in) fail_errno("cannot read", file.path);
    std::string line;
    while (std::getline(in, line)) file.lines.push_back(std::move(line));
    if (in.bad()) throw std::runtime_error(fmt::format("cannot read {}", file.path.string()));
    return file;
}

// New files belong to the user the server runs as, so it can still read
// them after dropping root.
void set_owner(int fd, const UsersFile& file, const Config& config) {
    if (file.exists) {
        if (fchown(fd, file.st.st_uid, file.st.st_gid) != 0 && errno != EPERM) fail_errno("cannot chown", file.path);
        return;
    }
    if (geteuid() != 0 || config.run_as.empty()) return;
    passwd pw{}, *found = nullptr;
    char buf[4096];
    if (getpwnam_r(config.run_as.c_str(), &pw, buf, sizeof buf, &found) != 0 || found == nullptr) return;
    if (fchown(fd, pw.pw_uid, pw.pw_gid) != 0) fail_errno("cannot chown", file.path);
}

void write_all(int fd, std::string_view data, const fs::path& path) {
    while (!data.empty()) {
        ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) fail_errno("cannot write", path);
        data.remove_prefix(static_cast<size_t>(n));
    }
}

// Temp file beside the target, fsync, rename over it, fsync the folder.
void write_users(const UsersFile& file, const Config& config, int dir_fd) {
    std::string content;
    for (const auto& line : file.lines) content += line + "\n";
    fs::path tmp_template = file.path.parent_path() / ("." + file.path.filename().string() + ".tmpXXXXXX");
    std::string tmp = tmp_template.string();
    Fd fd(mkostemp(tmp.data(), O_CLOEXEC));
    if (fd.get() < 0) fail_errno("cannot create a temporary file beside", file.path);
    try {
        mode_t mode = file.exists ? (file.st.st_mode & 07777) : 0600;
        if (fchmod(fd.get(), mode) != 0) fail_errno("cannot chmod", tmp);
        set_owner(fd.get(), file, config);
        write_all(fd.get(), content, tmp);
        if (fsync(fd.get()) != 0) fail_errno("cannot fsync", tmp);
        if (::close(fd.release()) != 0) fail_errno("cannot close", tmp);
        if (::rename(tmp.c_str(), file.path.c_str()) != 0) fail_errno("cannot rename over", file.path);
    } catch (...) {
        ::unlink(tmp.c_str());
        throw;
    }
    if (fsync(dir_fd) != 0) fail_errno("cannot fsync the folder of", file.path);
}

// Holds an exclusive lock on the users file's folder for one
// read-modify-write, so two `pochta user` runs cannot lose an update.
class FolderLock {
public:
    explicit FolderLock(const fs::path& users_file) : fd_(open_folder(users_file)) {
        while (flock(fd_.get(), LOCK_EX) != 0)
            if (errno != EINTR) fail_errno("cannot lock the folder of", users_file);
    }
    int fd() const { return fd_.get(); }

private:
    static int open_folder(const fs::path& users_file) {
        std::error_code ec;
        fs::path real = fs::is_symlink(users_file, ec) ? fs::canonical(users_file) : users_file;
        fs::path folder = real.parent_path().empty() ? fs::path(".") : real.parent_path();
        int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) fail_errno("cannot open the folder", folder);
        return fd;
    }
    Fd fd_;
};

// Checks syntax and locality; returns the canonical form.
std::string checked_address(const Config& config, const std::string& address) {
    auto parts = split_address(address);
    if (!parts) throw std::runtime_error(fmt::format("'{}' is not a valid address (local-part@domain)", address));
    if (!config.is_local_domain(parts->domain))
        throw std::runtime_error(fmt::format("domain {} is not local", to_lower(parts->domain)));
    return canonical_address(*parts);
}

void check_password(const std::string& password) {
    if (password.empty()) throw std::runtime_error("empty password");
    if (password.find_first_of("\r\n") != std::string::npos)
        throw std::runtime_error("the password must be a single line");
}

}  // namespace

void add_user(const Config& config, const std::string& address, const std::string& password) {
    std::string canonical = checked_address(config, address);
    check_password(password);
    std::string hash = hash_password(password);
    FolderLock lock(config.users_file);
    UsersFile file = read_users(config.users_file);
    if (find_line(file, canonical)) throw std::runtime_error(fmt::format("user {} already exists", canonical));
    file.lines.push_back(canonical + ":" + hash);
    write_users(file, config, lock.fd());
}

void change_password(const Config& config, const std::string& address, const std::string& password) {
    check_password(password);
    std::string hash = hash_password(password);
    FolderLock lock(config.users_file);
    UsersFile file = read_users(config.users_file);
    auto index = find_line(file, address);
    if (!index) throw std::runtime_error(fmt::format("no such user {}", address));
    // Replace only the password field; the address as written and any
    // further ":fields" stay.
    std::string& line = file.lines[*index];
    size_t colon = line.find(':');
    size_t next = line.find(':', colon + 1);
    std::string rest = next == std::string::npos ? std::string() : line.substr(next);
    if (rest.empty() && !line.empty() && line.back() == '\r') rest = "\r";
    line = line.substr(0, colon + 1) + hash + rest;
    write_users(file, config, lock.fd());
}

void delete_user(const Config& config, const std::string& address) {
    FolderLock lock(config.users_file);
    UsersFile file = read_users(config.users_file);
    auto index = find_line(file, address);
    if (!index) throw std::runtime_error(fmt::format("no such user {}", address));
    file.lines.erase(file.lines.begin() + static_cast<std::ptrdiff_t>(*index));
    write_users(file, config, lock.fd());
}

std::vector<std::string> list_users(const Config& config) {
    UsersFile file = read_users(config.users_file);
    if (!file.exists) throw std::runtime_error(fmt::format("{}: no such file", config.users_file.string()));
    std::vector<std::string> out;
    for (const auto& line : file.lines)
        if (auto a = address_of(line)) out.push_back(*a);
    return out;
}

}  // namespace pochta::auth
