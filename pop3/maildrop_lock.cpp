#include "pop3/maildrop_lock.hpp"

#include "common/util/strings.hpp"

namespace pochta::pop3 {

MaildropLocks::Guard::Guard(std::shared_ptr<MaildropLocks> owner, std::string key, std::string user)
    : owner_(std::move(owner)), key_(std::move(key)), user_(std::move(user)) {}

MaildropLocks::Guard::~Guard() { owner_->release(key_); }

std::unique_ptr<MaildropLocks::Guard> MaildropLocks::try_lock(const std::string& user) {
    std::string key = to_lower(user);
    {
        std::lock_guard lock(mutex_);
        if (!held_.insert(key).second) return nullptr;
    }
    return std::unique_ptr<Guard>(new Guard(shared_from_this(), std::move(key), user));
}

bool MaildropLocks::locked(const std::string& user) const {
    std::lock_guard lock(mutex_);
    return held_.count(to_lower(user)) != 0;
}

void MaildropLocks::release(const std::string& key) {
    std::lock_guard lock(mutex_);
    held_.erase(key);
}

}  // namespace pochta::pop3
