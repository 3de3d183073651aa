#include "mailauth/dmarc.hpp"

#include <memory>
#include <random>

#include "common/util/strings.hpp"
#include "mailauth/public_suffix.hpp"

namespace pochta::mailauth {
namespace {

// RFC 7489 6.6.4: a failure pct leaves out gets the next milder policy.
DmarcPolicy milder(DmarcPolicy policy) {
    return policy == DmarcPolicy::reject ? DmarcPolicy::quarantine : DmarcPolicy::none;
}

unsigned percent_roll() {
    thread_local std::mt19937 generator{std::random_device{}()};
    return std::uniform_int_distribution<unsigned>(0, 99)(generator);
}

// The DMARC records among a name's TXT records (others are ignored, RFC 7489 6.6.3 step 4).
std::vector<DmarcRecordParse> dmarc_records(const dns::TxtResult& txt) {
    std::vector<DmarcRecordParse> found;
    for (const auto& text : txt.records)
        if (auto parsed = parse_dmarc_record(text); parsed.status != DmarcRecordStatus::not_dmarc)
            found.push_back(std::move(parsed));
    return found;
}

DmarcOutcome outcome_without_policy(const DmarcInputs& inputs, DmarcResult result, std::string reason) {
    DmarcOutcome out;
    out.result = result;
    out.from_domain = inputs.from_domain;
    out.reason = std::move(reason);
    return out;
}

// One discovery under way: the lookups, in order, each continuing the next.
struct Discovery : std::enable_shared_from_this<Discovery> {
    TxtLookup lookup;
    DmarcInputs inputs;
    std::string org_domain;
    std::function<void(DmarcOutcome)> done;

    void start() {
        auto self = shared_from_this();
        lookup("_dmarc." + inputs.from_domain, [self](dns::TxtResult txt) { self->on_record(std::move(txt), false); });
    }

    void on_record(dns::TxtResult txt, bool at_org_domain) {
        if (txt.error == dns::Error::temporary)
            return done(outcome_without_policy(inputs, DmarcResult::temperror, "DNS: " + txt.message));
        auto records = dmarc_records(txt);
        if (records.size() > 1)
            return done(outcome_without_policy(inputs, DmarcResult::none, "several DMARC records"));
        if (records.empty()) {
            if (at_org_domain || org_domain == inputs.from_domain)
                return done(outcome_without_policy(inputs, DmarcResult::none, {}));
            auto self = shared_from_this();
            return lookup("_dmarc." + org_domain, [self](dns::TxtResult org) { self->on_record(std::move(org), true); });
        }
        if (records.front().status == DmarcRecordStatus::invalid)
            return done(outcome_without_policy(inputs, DmarcResult::permerror, records.front().error));
        const DmarcRecord& record = records.front().record;
        if (!at_org_domain || !record.nonexistent_policy)
            return done(evaluate_dmarc(record, inputs, at_org_domain ? org_domain : inputs.from_domain, percent_roll()));
        // np needs to know whether the From domain exists (RFC 9091 4):
        // NXDOMAIN for any type says it does not.
        auto self = shared_from_this();
        lookup(inputs.from_domain, [self, record](dns::TxtResult own) {
            bool exists = own.error != dns::Error::nxdomain;
            self->done(evaluate_dmarc(record, self->inputs, self->org_domain, percent_roll(), exists));
        });
    }
};

}  // namespace

std::string_view dmarc_result_name(DmarcResult result) {
    switch (result) {
        case DmarcResult::pass: return "pass";
        case DmarcResult::fail: return "fail";
        case DmarcResult::temperror: return "temperror";
        case DmarcResult::permerror: return "permerror";
        case DmarcResult::none: break;
    }
    return "none";
}

bool is_aligned(std::string_view from_domain, std::string_view other, Alignment alignment) {
    if (from_domain.empty() || other.empty()) return false;
    if (alignment == Alignment::strict) return iequals(from_domain, other);
    return organizational_domain(from_domain) == organizational_domain(other);
}

DmarcOutcome evaluate_dmarc(const DmarcRecord& record, const DmarcInputs& inputs, std::string_view policy_domain,
                            unsigned roll, bool from_domain_exists) {
    DmarcOutcome out;
    out.from_domain = to_lower(inputs.from_domain);
    out.policy_domain = to_lower(policy_domain);
    out.spf_aligned = inputs.spf_pass && is_aligned(out.from_domain, inputs.spf_domain, record.spf_alignment);
    for (const auto& domain : inputs.dkim_pass_domains)
        out.dkim_aligned = out.dkim_aligned || is_aligned(out.from_domain, domain, record.dkim_alignment);
    // A record found at the organisational domain speaks for a subdomain
    // with sp (np when the subdomain does not exist), else with p.
    out.policy = record.policy;
    if (out.policy_domain != out.from_domain) {
        out.policy = record.subdomain_policy.value_or(record.policy);
        if (!from_domain_exists && record.nonexistent_policy) out.policy = *record.nonexistent_policy;
    }
    out.result = out.spf_aligned || out.dkim_aligned ? DmarcResult::pass : DmarcResult::fail;
    if (out.result == DmarcResult::fail) {
        out.sampled_out = roll >= record.percent;
        out.disposition = out.sampled_out ? milder(out.policy) : out.policy;
    }
    return out;
}

void check_dmarc(TxtLookup lookup, DmarcInputs inputs, std::function<void(DmarcOutcome)> done) {
    auto discovery = std::make_shared<Discovery>();
    inputs.from_domain = to_lower(inputs.from_domain);
    discovery->org_domain = organizational_domain(inputs.from_domain);
    discovery->lookup = std::move(lookup);
    discovery->inputs = std::move(inputs);
    discovery->done = std::move(done);
    discovery->start();
}

void check_dmarc(dns::Resolver& resolver, DmarcInputs inputs, std::function<void(DmarcOutcome)> done) {
    TxtLookup lookup = [&resolver](const std::string& name, std::function<void(dns::TxtResult)> report) {
        resolver.resolve_txt(name, std::move(report));
    };
    check_dmarc(std::move(lookup), std::move(inputs), std::move(done));
}

}  // namespace pochta::mailauth
