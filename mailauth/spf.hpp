// SPF checks of the MAIL FROM and HELO identities (RFC 7208; README.md
// "SPF"). Every DNS question goes through the Resolver on the loop.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include "common/dns/resolver.hpp"

namespace pochta::mailauth {

enum class SpfResult { none, neutral, pass, fail, softfail, temperror, permerror };
// "pass", "softfail", ... (the names of RFC 8601 and RFC 7208 section 2.6).
std::string_view spf_result_name(SpfResult result);

enum class SpfIdentity { mailfrom, helo };

// An evaluation still running after this is a temperror (RFC 7208 4.6.4
// asks for a limit of at least 20 seconds).
constexpr std::chrono::seconds spf_time_limit{20};

struct SpfRequest {
    std::string ip;         // the SMTP client's address
    std::string sender;     // MAIL FROM address; "" for <> (then postmaster@helo, RFC 7208 section 2.4)
    std::string helo;       // the HELO/EHLO name
    std::string receiver;   // our hostname (%{r}); "" = "unknown"
    std::chrono::milliseconds time_limit = spf_time_limit;
};

struct SpfOutcome {
    SpfResult result = SpfResult::none;
    std::string domain;        // the domain whose policy was checked
    std::string explanation;   // the domain's exp= text, only with fail; else ""
};

// Runs the check; `done` runs later on the loop (never inside the call).
// Dropped when the Resolver goes first.
void check_spf(dns::Resolver& resolver, SpfRequest request, SpfIdentity identity,
               std::function<void(SpfOutcome)> done);

}  // namespace pochta::mailauth
