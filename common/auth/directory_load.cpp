// Reading the users file (Dovecot passwd-file layout) and the aliases file
// into a Snapshot. Every bad line is an error with its file and line: a
// half-understood users file must never go live.
#include <fmt/format.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>

#include "common/auth/address_syntax.hpp"
#include "common/auth/directory.hpp"
#include "common/util/log.hpp"
#include "common/util/strings.hpp"

#include "common/config/quota_rule.hpp"

namespace pochta::auth {

namespace {

constexpr size_t max_file_bytes = 64u << 20;
constexpr size_t max_line_bytes = 8192;

const std::array<std::string_view, 5> known_schemes = {"SHA512-CRYPT", "SHA256-CRYPT", "BLF-CRYPT", "CRYPT",
                                                       "PLAIN"};

// A file split into lines (without "\n" or "\r\n"), with helpers for errors.
class LineFile {
public:
    explicit LineFile(const std::filesystem::path& path) : path_(path) {
        std::ifstream in(path, std::ios::binary);
        if (!in) fail(0, fmt::format("cannot read: {}", std::strerror(errno)));
        std::string line;
        while (std::getline(in, line)) {
            if (!line.empty() && line.back() == '\r') line.pop_back();
            bytes_ += line.size() + 1;
            if (bytes_ > max_file_bytes) fail(0, "larger than 64 MiB");
            if (line.size() > max_line_bytes) fail(lines_.size() + 1, "line longer than 8192 bytes");
            lines_.push_back(std::move(line));
        }
        if (in.bad()) fail(0, "read error");
    }

    const std::vector<std::string>& lines() const { return lines_; }

    [[noreturn]] void fail(size_t line, std::string_view text) const {
        // The reason may quote the file; keep the message one printable line.
        std::string reason(text);
        for (char& c : reason)
            if (static_cast<unsigned char>(c) < 0x20 && c != '\t') c = '?';
        if (line == 0) throw ConfigError(fmt::format("{}: {}", path_.string(), reason));
        throw ConfigError(fmt::format("{}:{}: {}", path_.string(), line, reason));
    }

private:
    std::filesystem::path path_;
    std::vector<std::string> lines_;
    size_t bytes_ = 0;
};

bool is_comment_or_blank(std::string_view line) {
    std::string_view t = trim(line);
    return t.empty() || t.front() == '#';
}

// Cuts a "# ..." comment: '#' at the start or after blank space, because
// '#' is a legal character inside a local part.
std::string_view strip_comment(std::string_view line) {
    for (size_t i = 0; i < line.size(); i++)
        if (line[i] == '#' && (i == 0 || line[i - 1] == ' ' || line[i - 1] == '\t')) return line.substr(0, i);
    return line;
}

}  // namespace

class SnapshotBuilder {
public:
    explicit SnapshotBuilder(const Config& config) : snap_(std::make_shared<Snapshot>()) {
        snap_->domains_ = config.domains;
    }

    void load_users(const std::filesystem::path& path) {
        LineFile file(path);
        std::unordered_map<std::string, size_t> first_line;
        for (size_t i = 0; i < file.lines().size(); i++) {
            const std::string& line = file.lines()[i];
            if (is_comment_or_blank(line)) continue;
            UserEntry entry = parse_user_line(file, i + 1, line);
            std::string key = to_lower(entry.address);
            auto [it, fresh] = first_line.emplace(key, i + 1);
            if (!fresh) file.fail(i + 1, fmt::format("duplicate user {} (first on line {})", entry.address, it->second));
            snap_->user_index_.emplace(key, snap_->users_.size());
            snap_->users_.push_back(std::move(entry));
        }
    }

    void load_aliases(const std::filesystem::path& path) {
        LineFile file(path);
        std::unordered_map<std::string, size_t> first_line;
        for (size_t i = 0; i < file.lines().size(); i++) {
            std::string_view line = trim(strip_comment(file.lines()[i]));
            if (line.empty()) continue;
            size_t colon = line.find(':');
            if (colon == std::string_view::npos) file.fail(i + 1, "expected \"source: target, target...\"");
            std::string key = parse_alias_source(file, i + 1, trim(line.substr(0, colon)));
            std::vector<std::string> targets = parse_alias_targets(file, i + 1, line.substr(colon + 1));
            auto [it, fresh] = first_line.emplace(key, i + 1);
            if (!fresh) file.fail(i + 1, fmt::format("duplicate alias {} (first on line {})", key, it->second));
            if (snap_->user_index_.count(key))
                log::warn("{}:{}: alias {} is never used: a user has that address", path.string(), i + 1, key);
            snap_->aliases_.emplace(std::move(key), std::move(targets));
        }
    }

    std::shared_ptr<const Snapshot> finish() {
        snap_->typical_user_ = most_common_cost();
        return std::move(snap_);
    }

private:
    std::shared_ptr<Snapshot> snap_;

    // The scheme and cost of a hash: "{BLF-CRYPT}$2b$12$", "{SHA512-CRYPT}$6$rounds=9000$",
    // "{SHA512-CRYPT}$6$" (the salt and digest left out).
    static std::string cost_of(const UserEntry& user) {
        std::string_view hash = user.hash;
        size_t end = 0;
        if (hash.size() > 7 && hash[0] == '$' && hash[1] == '2') end = 7;
        else if (hash.substr(0, 3) == "$5$" || hash.substr(0, 3) == "$6$")
            end = hash.substr(3, 7) == "rounds=" ? hash.find('$', 3) + 1 : 3;
        return "{" + user.scheme + "}" + std::string(hash.substr(0, std::min(end, hash.size())));
    }

    // The user whose hash an unknown name is checked against (password.cpp):
    // one of the most common scheme and cost, so a failed login costs the
    // same whether the name exists or not.
    size_t most_common_cost() const {
        std::unordered_map<std::string, size_t> count;
        size_t best = Snapshot::no_user, best_count = 0;
        for (size_t i = 0; i < snap_->users_.size(); i++) {
            size_t n = ++count[cost_of(snap_->users_[i])];
            if (n > best_count) {
                best = i;
                best_count = n;
            }
        }
        return best;
    }

    bool is_local(std::string_view domain) const {
        for (const auto& d : snap_->domains_)
            if (iequals(d, domain)) return true;
        return false;
    }

    // "address:{SCHEME}hash[:more:fields]"
    UserEntry parse_user_line(const LineFile& file, size_t n, std::string_view line) const {
        size_t colon = line.find(':');
        if (colon == std::string_view::npos) file.fail(n, "expected \"address:{SCHEME}hash\"");
        std::string_view address = trim(line.substr(0, colon));
        auto parts = split_address(address);
        if (!parts) file.fail(n, fmt::format("'{}' is not an address (local-part@domain)", address));
        if (!is_local(parts->domain))
            file.fail(n, fmt::format("domain {} is not local (not in domains)", to_lower(parts->domain)));

        std::string_view password = line.substr(colon + 1);
        password = password.substr(0, password.find(':'));
        if (password.empty() || password.front() != '{') file.fail(n, "the password must start with {SCHEME}");
        size_t close = password.find('}');
        if (close == std::string_view::npos) file.fail(n, "missing '}' after the password scheme");
        UserEntry entry;
        entry.address = canonical_address(*parts);
        entry.scheme = password.substr(1, close - 1);
        for (char& c : entry.scheme) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        entry.hash = password.substr(close + 1);
        bool known = false;
        for (auto s : known_schemes) known = known || s == entry.scheme;
        if (!known) file.fail(n, fmt::format("unknown password scheme {{{}}}", password.substr(1, close - 1)));
        if (entry.hash.empty()) file.fail(n, "empty password hash");
        entry.quota = parse_extra_fields(file, n, line);
        return entry;
    }

    // Dovecot's passwd-file: address:password:uid:gid:gecos:home:shell:extra
    // fields, space-separated; of these only quota rules are read.
    static UserQuota parse_extra_fields(const LineFile& file, size_t n, std::string_view line) {
        size_t at = 0;
        for (int field = 0; field < 7 && at != std::string_view::npos; ++field) {
            at = line.find(':', at);
            if (at != std::string_view::npos) ++at;
        }
        UserQuota quota;
        if (at == std::string_view::npos) return quota;
        for (std::string_view field : split(line.substr(at), ' ')) {
            std::string error;
            if (!parse_quota_field(trim(field), quota, error)) file.fail(n, error);
        }
        return quota;
    }

    // "local@domain" or "@domain" (catch-all); returns the lookup key.
    std::string parse_alias_source(const LineFile& file, size_t n, std::string_view source) const {
        std::string_view domain;
        if (!source.empty() && source.front() == '@') {
            domain = source.substr(1);
            if (!is_valid_hostname(domain)) file.fail(n, fmt::format("'{}' is not a valid domain", domain));
        } else {
            auto parts = split_address(source);
            if (!parts) file.fail(n, fmt::format("'{}' is not an address (local-part@domain or @domain)", source));
            domain = parts->domain;
        }
        if (!is_local(domain))
            file.fail(n, fmt::format("alias source domain {} is not local (not in domains)", to_lower(domain)));
        return to_lower(source);
    }

    std::vector<std::string> parse_alias_targets(const LineFile& file, size_t n, std::string_view text) const {
        std::vector<std::string> targets;
        for (std::string_view item : split(text, ',')) {
            std::string_view target = trim(item);
            if (target.empty()) file.fail(n, "empty alias target");
            auto parts = split_address(target);
            if (!parts) file.fail(n, fmt::format("'{}' is not a valid target address", target));
            targets.push_back(canonical_address(*parts));
        }
        return targets;
    }
};

std::shared_ptr<const Snapshot> Snapshot::load(const Config& config) {
    SnapshotBuilder builder(config);
    builder.load_users(config.users_file);
    if (config.aliases_file) builder.load_aliases(*config.aliases_file);
    return builder.finish();
}

}  // namespace pochta::auth
