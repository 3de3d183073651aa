// Address resolution over a Snapshot, and the Directory that swaps
// snapshots when the users or aliases file changes.
#include "common/auth/directory.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <functional>
#include <unordered_set>

#include "common/util/log.hpp"
#include "common/util/strings.hpp"

namespace pochta::auth {

namespace {

constexpr int max_alias_depth = 10;

void add_unique(std::vector<std::string>& list, const std::string& value) {
    for (const auto& v : list)
        if (iequals(v, value)) return;
    list.push_back(value);
}

// The "local" part before the first '+', when there is a tag and a base.
std::optional<std::string> without_tag(const std::string& key) {
    size_t at = key.rfind('@');
    if (at == std::string::npos) return std::nullopt;
    size_t plus = key.find('+');
    if (plus == std::string::npos || plus == 0 || plus > at) return std::nullopt;
    return key.substr(0, plus) + key.substr(at);
}

// One resolution: walks users and aliases, remembering which aliases it has
// expanded so a loop (a -> b -> a) or a diamond is expanded once.
class Resolver {
public:
    Resolver(const std::unordered_map<std::string, size_t>& users, const std::vector<UserEntry>& entries,
             const std::unordered_map<std::string, std::vector<std::string>>& aliases,
             const std::function<bool(std::string_view)>& is_local)
        : users_(users), entries_(entries), aliases_(aliases), is_local_(is_local) {}

    // Exact user, exact alias, then the same for "local+tag" as "local".
    // Returns whether anything matched (even if it expanded to nothing).
    bool match(const std::string& key, int depth) {
        if (match_exact(key, depth)) return true;
        if (auto base = without_tag(key)) return match_exact(*base, depth);
        return false;
    }

    void expand_alias(const std::string& key, const std::vector<std::string>& targets, int depth) {
        if (!expanded_.insert(key).second) return;  // loop or already done
        if (depth >= max_alias_depth) {
            log::warn("alias {}: nested deeper than {} levels, rest ignored", key, max_alias_depth);
            return;
        }
        for (const auto& target : targets) {
            std::string domain = target.substr(target.rfind('@') + 1);
            if (!is_local_(domain)) {
                add_unique(result.remote, target);
            } else if (!match(to_lower(target), depth + 1)) {
                log::warn("alias {}: target {} is neither a user nor an alias, dropped", key, target);
            }
        }
    }

    Resolution result;

private:
    bool match_exact(const std::string& key, int depth) {
        if (auto u = users_.find(key); u != users_.end()) {
            add_unique(result.local_users, entries_[u->second].address);
            return true;
        }
        if (auto a = aliases_.find(key); a != aliases_.end()) {
            expand_alias(a->first, a->second, depth);
            return true;
        }
        return false;
    }

    const std::unordered_map<std::string, size_t>& users_;
    const std::vector<UserEntry>& entries_;
    const std::unordered_map<std::string, std::vector<std::string>>& aliases_;
    const std::function<bool(std::string_view)>& is_local_;
    std::unordered_set<std::string> expanded_;
};

}  // namespace

bool Snapshot::is_local_domain(std::string_view domain) const {
    for (const auto& d : domains_)
        if (iequals(d, domain)) return true;
    return false;
}

Resolution Snapshot::lookup(std::string_view address, bool use_catch_all) const {
    std::string key = to_lower(address);
    size_t at = key.rfind('@');
    if (at == std::string::npos || at == 0 || !is_local_domain(std::string_view(key).substr(at + 1))) return {};
    std::function<bool(std::string_view)> is_local = [this](std::string_view d) { return is_local_domain(d); };
    Resolver resolver(user_index_, users_, aliases_, is_local);
    if (!resolver.match(key, 0) && use_catch_all) {
        // The catch-all only takes what no user and no alias claimed.
        if (auto a = aliases_.find(key.substr(at)); a != aliases_.end()) resolver.expand_alias(a->first, a->second, 0);
    }
    Resolution r = std::move(resolver.result);
    r.found = !r.local_users.empty() || !r.remote.empty();
    return r;
}

Resolution Snapshot::resolve(std::string_view address) const {
    return lookup(address, true);
}

bool Snapshot::may_send_as(std::string_view user, std::string_view address) const {
    // Resolving without the catch-all gives exactly the user itself, its
    // +tag forms and the aliases that reach it; a catch-all would let any
    // user forge every unused address of the domain.
    Resolution r = lookup(address, false);
    return std::any_of(r.local_users.begin(), r.local_users.end(),
                       [&](const std::string& u) { return iequals(u, user); });
}

const UserEntry* Snapshot::find_user(std::string_view address) const {
    auto it = user_index_.find(to_lower(address));
    return it == user_index_.end() ? nullptr : &users_[it->second];
}

std::vector<std::string> Snapshot::user_addresses() const {
    std::vector<std::string> out;
    out.reserve(users_.size());
    for (const auto& u : users_) out.push_back(u.address);
    return out;
}

Directory::Directory(const Config& config) : config_(config) {
    users_stamp_ = stamp_of(config_.users_file);
    if (config_.aliases_file) aliases_stamp_ = stamp_of(*config_.aliases_file);
    current_ = Snapshot::load(config_);
}

std::shared_ptr<const Snapshot> Directory::current() const {
    std::lock_guard lock(mutex_);
    return current_;
}

Directory::FileStamp Directory::stamp_of(const std::filesystem::path& p) const {
    struct stat st {};
    if (::stat(p.c_str(), &st) != 0) return {};
    FileStamp s;
    s.mtime_ns = static_cast<long long>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec;
    s.size = static_cast<long long>(st.st_size);
    s.inode = static_cast<unsigned long long>(st.st_ino);
    return s;
}

bool Directory::reload(bool force) {
    std::lock_guard serial(reload_mutex_);
    // Stamps are taken before reading: a write during the load shows up as
    // a change at the next check instead of being missed.
    FileStamp users = stamp_of(config_.users_file);
    FileStamp aliases = config_.aliases_file ? stamp_of(*config_.aliases_file) : FileStamp{};
    {
        std::lock_guard lock(mutex_);
        if (!force && users == users_stamp_ && aliases == aliases_stamp_) return last_ok_;
    }
    std::shared_ptr<const Snapshot> fresh;
    std::string error;
    try {
        fresh = Snapshot::load(config_);
    } catch (const std::exception& e) {
        error = e.what();
    }
    std::lock_guard lock(mutex_);
    users_stamp_ = users;
    aliases_stamp_ = aliases;
    last_ok_ = fresh != nullptr;
    if (!fresh) {
        log::error("{} (keeping the previous users and aliases)", error);
        return false;
    }
    current_ = std::move(fresh);
    log::info("users and aliases reloaded: {} users", current_->user_addresses().size());
    return true;
}

}  // namespace pochta::auth
