#include "mailauth/arrival_check_policy.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "common/util/strings.hpp"

namespace pochta::mailauth {
namespace {

// A name from the message, safe in a reply line.
std::string shown(const std::string& domain) { return printable_prefix(domain, 255); }

// RFC 6008: a prefix of b= is enough to tell signatures apart.
constexpr size_t header_b_prefix = 12;

// A temporary DNS failure in SPF or DKIM could have hidden an aligned
// pass: refusing on such a failure could refuse good mail for good.
bool dns_trouble(const ArrivalFacts& facts) {
    if (facts.spf.result == SpfResult::temperror || facts.dmarc.result == DmarcResult::temperror) return true;
    return std::any_of(facts.dkim.begin(), facts.dkim.end(),
                       [](const DkimVerdict& v) { return v.result == DkimResult::temperror; });
}

// Our own domain passes DMARC when its record says so, or, without a
// record, when SPF or DKIM passes aligned as a default record would judge.
bool local_author_authenticated(const ArrivalFacts& facts) {
    if (facts.dmarc.result == DmarcResult::pass) return true;
    if (facts.dmarc.result != DmarcResult::none) return false;
    DmarcInputs inputs{facts.author.domain, facts.spf.result == SpfResult::pass, facts.spf.domain, {}};
    for (const auto& v : facts.dkim)
        if (v.result == DkimResult::pass) inputs.dkim_pass_domains.push_back(v.domain);
    return evaluate_dmarc(DmarcRecord{}, inputs, facts.author.domain, 0).result == DmarcResult::pass;
}

ArrivalDecision refuse_or_defer(const ArrivalFacts& facts, std::string refusal, std::string reason) {
    if (dns_trouble(facts))
        return {ArrivalAction::defer, "451 4.4.3 Temporary DNS failure while authenticating the sender, try again later",
                reason + " (DNS failure)"};
    return {ArrivalAction::refuse, std::move(refusal), std::move(reason)};
}

AuthResult spf_entry(const ArrivalFacts& facts) {
    AuthResult r{"spf", std::string(spf_result_name(facts.spf.result)), {}, {}};
    const char* property = facts.spf_identity == SpfIdentity::mailfrom ? "smtp.mailfrom" : "smtp.helo";
    if (!facts.spf_subject.empty()) r.properties.emplace_back(property, facts.spf_subject);
    return r;
}

AuthResult dkim_entry(const DkimVerdict& v) {
    AuthResult r{"dkim", std::string(dkim_result_name(v.result)), v.reason, {}};
    if (!v.domain.empty()) r.properties.emplace_back("header.d", v.domain);
    if (!v.selector.empty()) r.properties.emplace_back("header.s", v.selector);
    if (!v.header_b.empty()) r.properties.emplace_back("header.b", v.header_b.substr(0, header_b_prefix));
    return r;
}

AuthResult dmarc_entry(const ArrivalFacts& facts) {
    const DmarcOutcome& d = facts.dmarc;
    AuthResult r{"dmarc", std::string(dmarc_result_name(d.result)), d.reason, {}};
    if (!d.policy_domain.empty())
        r.comment = fmt::format("p={} dis={}", dmarc_policy_name(d.policy), dmarc_policy_name(d.disposition));
    if (!d.from_domain.empty()) r.properties.emplace_back("header.from", d.from_domain);
    if (!d.policy_domain.empty()) r.properties.emplace_back("policy.dmarc", std::string(dmarc_policy_name(d.policy)));
    return r;
}

}  // namespace

ArrivalDecision decide_arrival(const ArrivalFacts& facts, const ArrivalPolicy& policy) {
    // RFC 7489 6.6.1: which of several authors a reader sees is up to the
    // reader's program, so DMARC could judge the wrong one.
    if (facts.author.status == AuthorStatus::several_from || facts.author.status == AuthorStatus::several_domains)
        return {ArrivalAction::refuse, "550 5.7.1 Message must have one From field with the addresses of one domain",
                "several From authors"};
    if (policy.local_from && facts.local_author && !local_author_authenticated(facts))
        return refuse_or_defer(facts,
                               fmt::format("550 5.7.1 From domain {} is ours but the message is not authenticated",
                                           shown(facts.author.domain)),
                               "unauthenticated local From");
    if (facts.dmarc.result == DmarcResult::fail) {
        const std::string& domain = facts.dmarc.from_domain;
        if (facts.dmarc.disposition == DmarcPolicy::reject && policy.dmarc_reject)
            return refuse_or_defer(facts,
                                   fmt::format("550 5.7.1 Rejected by the DMARC policy of {}", shown(domain)),
                                   "DMARC p=reject");
        bool to_junk = facts.dmarc.disposition == DmarcPolicy::reject ||
                       (facts.dmarc.disposition == DmarcPolicy::quarantine && policy.dmarc_quarantine);
        if (to_junk) return {ArrivalAction::junk, {}, "DMARC quarantine"};
    }
    if (policy.spf_reject && facts.spf.result == SpfResult::fail)
        return {ArrivalAction::refuse,
                fmt::format("550 5.7.23 SPF validation failed for {}", shown(facts.spf.domain)), "SPF fail"};
    return {};
}

std::vector<AuthResult> arrival_auth_results(const ArrivalFacts& facts) {
    std::vector<AuthResult> results{spf_entry(facts)};
    if (facts.helo_spf) {
        AuthResult helo{"spf", std::string(spf_result_name(facts.helo_spf->result)), {}, {}};
        if (!facts.helo.empty()) helo.properties.emplace_back("smtp.helo", facts.helo);
        results.push_back(std::move(helo));
    }
    for (const auto& v : facts.dkim) results.push_back(dkim_entry(v));
    if (facts.dkim.empty()) results.push_back(AuthResult{"dkim", "none", {}, {}});
    results.push_back(dmarc_entry(facts));
    return results;
}

}  // namespace pochta::mailauth
