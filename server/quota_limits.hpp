// Each user's quota (README.md, "IMAP": QUOTA): the users file's
// userdb_quota_rule where it names a resource, else [quota]'s default.
#pragma once

#include <functional>
#include <string>

#include "common/auth/directory.hpp"
#include "common/config/config.hpp"
#include "store/store.hpp"

namespace pochta {

// Reads the directory's current snapshot at each call (reloads apply).
std::function<store::QuotaLimits(const std::string& user)> quota_limits(const auth::Directory& directory,
                                                                        const Config& config);

}  // namespace pochta
