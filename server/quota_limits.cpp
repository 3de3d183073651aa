#include "server/quota_limits.hpp"

namespace pochta {

std::function<store::QuotaLimits(const std::string& user)> quota_limits(const auth::Directory& directory,
                                                                        const Config& config) {
    return [&directory, defaults = config.quota](const std::string& user) {
        store::QuotaLimits limits{defaults.storage, defaults.messages};
        auto snapshot = directory.current();
        if (const auth::UserEntry* entry = snapshot->find_user(user)) {
            if (entry->quota.bytes) limits.bytes = *entry->quota.bytes;
            if (entry->quota.messages) limits.messages = *entry->quota.messages;
        }
        return limits;
    };
}

}  // namespace pochta
