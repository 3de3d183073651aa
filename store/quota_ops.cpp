// QUOTA (README.md, "IMAP": QUOTA): usage reads from quota_usage, which
// triggers keep (store/schema.cpp, migration 9), and the checks of APPEND
// and COPY. A check reads the usage and the write follows in its own
// transaction, so two concurrent APPENDs may pass together and overshoot
// by one message each: the limit is kept to within what one command adds.
#include <fmt/format.h>

#include "store/sqlite_store.hpp"

namespace pochta::store {

QuotaUsage SqliteStore::quota_usage(const std::string& user) {
    auto db = readers_->acquire();
    auto q = db->cached(
        "SELECT q.bytes, q.messages FROM quota_usage q JOIN users u ON u.id = q.user_id WHERE u.address = ?1");
    q->bind(1, user);
    QuotaUsage usage;
    if (q->step()) {
        usage.bytes = static_cast<uint64_t>(std::max<int64_t>(q->int64(0), 0));
        usage.messages = static_cast<uint64_t>(std::max<int64_t>(q->int64(1), 0));
    }
    return usage;
}

void SqliteStore::check_quota(const std::string& user, uint64_t bytes, uint64_t messages) {
    QuotaLimits limits = quota_limits(user);
    if (limits.unlimited()) return;
    QuotaUsage usage = quota_usage(user);
    if ((limits.bytes && usage.bytes + bytes > limits.bytes) ||
        (limits.messages && usage.messages + messages > limits.messages))
        throw StoreError(fmt::format("quota of {} exceeded", user), ErrorKind::over_quota);
}

void SqliteStore::check_copy_quota(int64_t from_mailbox, const std::vector<uint32_t>& uids, int64_t to_mailbox) {
    if (!options_.quota_limits || uids.empty()) return;
    std::string user;
    uint64_t bytes = 0, messages = 0;
    {
        auto db = readers_->acquire();
        auto owner = db->cached("SELECT u.address FROM mailboxes b JOIN users u ON u.id = b.user_id WHERE b.id = ?1");
        owner->bind(1, to_mailbox);
        if (!owner->step()) return;  // the copy itself reports the missing mailbox
        user = owner->text(0);
        auto size = db->cached("SELECT size FROM messages WHERE mailbox_id = ?1 AND uid = ?2");
        for (uint32_t uid : uids) {
            size->reset();
            size->bind(1, from_mailbox).bind(2, int64_t{uid});
            if (!size->step()) continue;
            bytes += static_cast<uint64_t>(size->int64(0));
            ++messages;
        }
    }
    check_quota(user, bytes, messages);
}

bool SqliteStore::claim_quota_warning(const std::string& user, unsigned percent) {
    if (percent == 0) return false;
    QuotaLimits limits = quota_limits(user);
    if (limits.unlimited()) return false;
    QuotaUsage usage = quota_usage(user);
    auto reached = [&](uint64_t used, uint64_t limit) { return limit && used * 100 >= limit * uint64_t{percent}; };
    const bool filling = reached(usage.bytes, limits.bytes) || reached(usage.messages, limits.messages);
    bool claimed = false;
    write([&](WriteOps& ops) {
        auto q = ops.db().cached(
            "UPDATE quota_usage SET warned = ?2 WHERE user_id = (SELECT id FROM users WHERE address = ?1) "
            "AND warned <> ?2 RETURNING user_id");
        q->bind(1, user).bind(2, int64_t{filling});
        claimed = q->step() && filling;
    });
    return claimed;
}

}  // namespace pochta::store
