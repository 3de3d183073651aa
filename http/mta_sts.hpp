// The MTA-STS policy (RFC 8461) this server publishes for its domains
// (README.md, "Autoconfig, MTA-STS and metrics"): the policy file served at
// https://mta-sts.DOMAIN/.well-known/mta-sts.txt and the id of the
// _mta-sts TXT record, derived from the policy so it changes exactly when
// the policy does.
#pragma once

#include <string>

#include "common/config/config.hpp"

namespace pochta::http {

// "version: STSv1", mode, one "mx:" line per pattern, max_age; CRLF lines.
std::string mta_sts_policy(const Config& config);

// 20 alphanumerics (RFC 8461 section 3.1 allows 1 to 32).
std::string mta_sts_id(const std::string& policy);

}  // namespace pochta::http
