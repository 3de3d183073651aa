// One POP3 session per maildrop (RFC 1939 section 8: the server locks the
// maildrop on login). The lock lives in the process and is held by an
// object, so a session that goes away for any reason (QUIT, dropped
// connection, error) releases it with its destructor.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <unordered_set>

namespace pochta::pop3 {

class MaildropLocks : public std::enable_shared_from_this<MaildropLocks> {
public:
    // Releases its user's lock on destruction. Keeps the registry alive.
    class Guard {
    public:
        ~Guard();
        Guard(const Guard&) = delete;
        Guard& operator=(const Guard&) = delete;
        const std::string& user() const { return user_; }

    private:
        friend class MaildropLocks;
        Guard(std::shared_ptr<MaildropLocks> owner, std::string key, std::string user);
        std::shared_ptr<MaildropLocks> owner_;
        std::string key_, user_;
    };

    // nullptr when another session holds the user's maildrop. Users are
    // compared case-insensitively (the directory's canonical form may differ
    // in case from what a client typed, but the maildrop is one).
    // The registry must be owned by a shared_ptr.
    std::unique_ptr<Guard> try_lock(const std::string& user);
    bool locked(const std::string& user) const;

private:
    void release(const std::string& key);

    mutable std::mutex mutex_;
    std::unordered_set<std::string> held_;
};

}  // namespace pochta::pop3
