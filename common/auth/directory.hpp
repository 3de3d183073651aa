// Who exists: the users file (Dovecot passwd-file layout) and the aliases
// file, as README.md describes them ("Users file", "Aliases file"), held as
// an immutable snapshot that is swapped on reload so lookups on the loop
// thread never wait.
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/config/quota_rule.hpp"
#include "common/config/config.hpp"

namespace pochta::auth {

struct UserEntry {
    std::string address;   // canonical: local part as written, domain lowercased
    std::string scheme;    // "SHA512-CRYPT", "PLAIN", ... (upper case, without braces)
    std::string hash;      // the rest after "{SCHEME}"
    UserQuota quota;       // from the extra field userdb_quota_rule (README.md, "IMAP": QUOTA)
};

// Where mail for one address goes after aliases and plus-addressing.
struct Resolution {
    bool found = false;                      // false: 550 5.1.1
    std::vector<std::string> local_users;    // canonical addresses of local users (mailbox owners), deduplicated
    std::vector<std::string> remote;         // non-local addresses to queue, deduplicated
};

// One consistent view of users and aliases. Immutable once built.
class Snapshot {
public:
    // Loads both files; throws ConfigError "FILE:LINE: reason" on bad lines.
    static std::shared_ptr<const Snapshot> load(const Config& config);

    // The user entry for a login name (full address; domain case-insensitive,
    // local part case-insensitive too). nullptr if unknown.
    const UserEntry* find_user(std::string_view address) const;

    // Resolves a recipient address (already syntactically valid, domain local):
    // exact user, alias, "user+tag" as "user", then the domain's catch-all.
    // Alias targets are expanded recursively (bounded depth, loops cut).
    Resolution resolve(std::string_view address) const;

    // True if `address` is an address `user` may send as: the user's own
    // address, its +tag forms, or an alias whose expansion includes the user.
    bool may_send_as(std::string_view user, std::string_view address) const;

    std::vector<std::string> user_addresses() const;  // in file order

    // A user whose hash has the most common scheme and cost, for checking
    // the password of a name that does not exist at the same cost as one
    // that does (README.md, "Logins under attack"). nullptr without users.
    const UserEntry* typical_user() const { return typical_user_ == no_user ? nullptr : &users_[typical_user_]; }

private:
    friend class SnapshotBuilder;  // directory_load.cpp fills a snapshot from the files

    // resolve() and may_send_as(); the catch-all only for resolve().
    Resolution lookup(std::string_view address, bool use_catch_all) const;
    bool is_local_domain(std::string_view domain) const;

    std::vector<std::string> domains_;  // a copy, so a snapshot never points into a Config
    std::vector<UserEntry> users_;
    std::unordered_map<std::string, size_t> user_index_;                       // lowercased address -> users_ index
    std::unordered_map<std::string, std::vector<std::string>> aliases_;        // lowercased source -> targets
    static constexpr size_t no_user = static_cast<size_t>(-1);
    size_t typical_user_ = no_user;
};

// Holds the current snapshot; reload() swaps in a new one. Thread-safe.
class Directory {
public:
    explicit Directory(const Config& config);  // loads at once; throws ConfigError

    std::shared_ptr<const Snapshot> current() const;

    // Reloads if either file changed (mtime/size/inode) since the last load,
    // or always when force is true. On error keeps the old snapshot, logs
    // the error and returns false. A broken file is reported once per
    // change: until it changes again (or force), reload() returns false
    // without reading it.
    bool reload(bool force);

private:
    struct FileStamp {
        long long mtime_ns = 0;
        long long size = -1;
        unsigned long long inode = 0;
        bool operator==(const FileStamp&) const = default;
    };
    FileStamp stamp_of(const std::filesystem::path& p) const;

    const Config config_;            // a copy: the caller's Config may be a temporary
    std::mutex reload_mutex_;        // one reload at a time (SIGHUP and the timer may race)
    mutable std::mutex mutex_;       // guards the fields below
    std::shared_ptr<const Snapshot> current_;
    FileStamp users_stamp_, aliases_stamp_;  // of the last load attempt
    bool last_ok_ = true;            // whether that attempt succeeded
};

}  // namespace pochta::auth
