// DMARC (RFC 7489) for one message on arrival (README.md, "DMARC"): policy
// discovery at _dmarc.FROMDOMAIN then _dmarc.ORGDOMAIN, relaxed or strict
// alignment of the SPF and DKIM identities with the From domain, the
// result, and the policy to apply (p or sp, sampled by pct).
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/dns/resolver.hpp"
#include "mailauth/dmarc_record.hpp"

namespace pochta::mailauth {

enum class DmarcResult { none, pass, fail, temperror, permerror };

// RFC 8601 names: "none", "pass", "fail", "temperror", "permerror".
std::string_view dmarc_result_name(DmarcResult result);

// What the other checks established, in the terms DMARC needs (RFC 7489 4.2).
struct DmarcInputs {
    std::string from_domain;                     // the RFC5322.From domain
    bool spf_pass = false;
    std::string spf_domain;                      // MAIL FROM's domain, HELO's for the null sender
    std::vector<std::string> dkim_pass_domains;  // d= of each signature that verified
};

struct DmarcOutcome {
    DmarcResult result = DmarcResult::none;
    std::string from_domain;          // lowercased
    std::string policy_domain;        // where the record was found; "" without one
    DmarcPolicy policy = DmarcPolicy::none;       // the one published for this From domain (p, sp or np)
    DmarcPolicy disposition = DmarcPolicy::none;  // what to do: policy on failure after pct, else none
    bool sampled_out = false;         // pct left this failure out: one step milder
    bool spf_aligned = false;
    bool dkim_aligned = false;
    std::string reason;               // why temperror or permerror
};

// RFC 7489 3.1: strict is equality, relaxed the same organisational domain.
bool is_aligned(std::string_view from_domain, std::string_view other, Alignment alignment);

// The outcome under `record`, found at `policy_domain` (the From domain, or
// its organisational domain). `roll` in 0..99 is the pct draw: the policy
// applies when roll < pct, else the next milder one (RFC 7489 6.6.4).
// `from_domain_exists` chooses np over sp for a subdomain (RFC 9091).
DmarcOutcome evaluate_dmarc(const DmarcRecord& record, const DmarcInputs& inputs, std::string_view policy_domain,
                            unsigned roll, bool from_domain_exists = true);

// A TXT lookup as common/dns gives it; tests pass a table instead.
using TxtLookup = std::function<void(const std::string& name, std::function<void(dns::TxtResult)> done)>;

// Policy discovery (RFC 7489 6.6.3) and evaluation. Several DMARC records
// at one name mean no policy (none); a temporary DNS failure is temperror;
// an invalid record permerror. `inputs.from_domain` must not be empty.
// `done` runs from inside a lookup's callback (with a Resolver: later,
// on the loop).
void check_dmarc(TxtLookup lookup, DmarcInputs inputs, std::function<void(DmarcOutcome)> done);
void check_dmarc(dns::Resolver& resolver, DmarcInputs inputs, std::function<void(DmarcOutcome)> done);

}  // namespace pochta::mailauth
