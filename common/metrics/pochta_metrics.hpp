// The metrics pochta exports, by name in one place (README.md, "Autoconfig,
// MTA-STS and metrics" lists them). Each function registers its series at
// the first call and returns the same object after; hot paths keep the
// reference in a function-local static.
#pragma once

#include <string_view>

#include "common/metrics/registry.hpp"

namespace pochta::metrics {

Counter& connections_accepted(std::string_view listener);
Gauge& connections_open(std::string_view listener);
Counter& logins(std::string_view protocol);
Counter& auth_failures(std::string_view protocol);
Counter& messages_received(std::string_view listener);
// Per recipient: "local" (stored) or "remote" (accepted by the next server).
Counter& messages_delivered(std::string_view destination);
Counter& messages_deferred();  // per recipient and failed attempt
Counter& messages_bounced();   // per recipient given up on
Counter& spam_verdicts(std::string_view verdict);  // per recipient: "inbox", "junk", "reject"
Histogram& store_commit_seconds();
Histogram& store_commit_batch_size();
Gauge& queue_messages();
Gauge& queue_oldest_seconds();

}  // namespace pochta::metrics
