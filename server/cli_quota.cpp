// `pochta quota ADDRESS` (README.md, "Command line"): a user's usage and
// limits, as IMAP's GETQUOTAROOT reports them.
#include <cstdio>

#include "common/auth/directory.hpp"
#include "server/cli.hpp"
#include "server/quota_limits.hpp"
#include "store/store.hpp"

namespace pochta::cli {

namespace {

std::string limit_text(uint64_t limit) { return limit ? std::to_string(limit) : "unlimited"; }

}  // namespace

int quota(const Args& args, const Config& config) {
    if (args.size() != 1) return usage();
    auth::Directory directory(config);
    const std::string& user = args[0];
    if (!directory.current()->find_user(user)) return fail("no user " + user);
    store::QuotaLimits limits = quota_limits(directory, config)(user);
    store::QuotaUsage usage = open_store(config)->quota_usage(user);
    std::printf("storage %llu %s\nmessages %llu %s\n", static_cast<unsigned long long>(usage.bytes),
                limit_text(limits.bytes).c_str(), static_cast<unsigned long long>(usage.messages),
                limit_text(limits.messages).c_str());
    return 0;
}

}  // namespace pochta::cli
