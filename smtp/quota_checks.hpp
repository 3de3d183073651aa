// QUOTA at SMTP (README.md, "IMAP": QUOTA); the RCPT and end-of-DATA
// checks are Session members (smtp/quota_checks.cpp).
#pragma once

#include <string>
#include <vector>

#include "common/config/config.hpp"
#include "store/async_store.hpp"

namespace pochta::smtp {

// After a delivery: a user whose usage reached [quota] warning_percent of
// a limit gets one warning message in the INBOX (again only after the
// usage fell below and rose again).
void warn_filling_mailboxes(store::AsyncStore& store, const Config& config, const std::vector<std::string>& users);

}  // namespace pochta::smtp
