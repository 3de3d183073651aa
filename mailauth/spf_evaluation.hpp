// The evaluation behind check_spf() (README.md "SPF"): check_host() of
// RFC 7208 section 4 for the first domain and for every include and
// redirect it leads to, sharing the limits of section 4.6.4.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/dns/resolver.hpp"
#include "mailauth/spf.hpp"
#include "mailauth/spf_ip.hpp"
#include "mailauth/spf_macro.hpp"
#include "mailauth/spf_record.hpp"

namespace pochta::mailauth {

constexpr int max_dns_terms = 10;     // include, a, mx, ptr, exists, redirect
constexpr int max_void_lookups = 2;   // answers with no records or NXDOMAIN
constexpr size_t max_mx_names = 10;   // more is a permerror
constexpr size_t max_ptr_names = 10;  // the rest is ignored

// `name` is `domain` or a name below it, in any case (ptr, %{p}).
bool name_within(std::string_view name, std::string_view domain);

// Loop thread only. Held by the callbacks of its lookups: it lives while a
// lookup runs and goes with the last one (or with the Resolver).
class SpfEvaluation : public std::enable_shared_from_this<SpfEvaluation> {
public:
    using Done = std::function<void(SpfResult)>;

    // `values` holds every macro value but d and p.
    SpfEvaluation(dns::Resolver& resolver, IpAddress client, SpfMacroValues values);

    // check_host() of `domain`. `top`: reached from the first domain through
    // redirects alone, so a fail here takes its record's exp= text.
    void check_host(std::string domain, bool top, Done done);
    const std::string& explanation() const { return explanation_; }

private:
    struct Frame;   // one record being evaluated
    using FramePtr = std::shared_ptr<Frame>;
    enum class Verdict { match, no_match, temperror, permerror };
    using VerdictDone = std::function<void(Verdict)>;
    using NameDone = std::function<void(std::optional<std::string>)>;
    // nullopt: the lookups went over the void limit (a permerror).
    using NamesDone = std::function<void(std::optional<std::vector<std::string>>)>;
    using AddressesDone = std::function<void(std::vector<dns::AddressResult>)>;

    // spf_evaluation.cpp: records and terms in order.
    void read_record(FramePtr frame, const dns::TxtResult& txt);
    void evaluate(FramePtr frame);
    void evaluate_dns_term(FramePtr frame, const SpfMechanism& mechanism);
    void follow_redirect(FramePtr frame);
    void conclude(FramePtr frame, SpfResult result);
    void fetch_explanation(FramePtr frame, SpfResult result);
    void explain(FramePtr frame, const std::string& exp_name, SpfResult result);

    // spf_mechanisms.cpp: does one DNS mechanism match?
    void match(const SpfMechanism& mechanism, const std::string& target, VerdictDone done);
    void match_include(const std::string& target, VerdictDone done);
    void match_a(const SpfMechanism& mechanism, const std::string& target, VerdictDone done);
    void match_mx(const SpfMechanism& mechanism, const std::string& target, VerdictDone done);
    void match_ptr(const std::string& target, VerdictDone done);
    void match_exists(const std::string& target, VerdictDone done);
    bool matches_any(const std::vector<std::string>& addresses, const SpfMechanism& mechanism) const;

    // spf_lookups.cpp: names, addresses and the limits on them.
    void expand_target(const std::string& spec, const std::string& domain, NameDone done);
    // The client's PTR names confirmed by a forward lookup (RFC 7208
    // section 5.5), asked once per evaluation (ptr and %{p} share them).
    void validated_names(NamesDone done);
    void resolve_client_family(const std::string& name, std::function<void(dns::AddressResult)> done);
    void resolve_each(std::vector<std::string> names, AddressesDone done);
    // Counts a void answer; true once there were more than max_void_lookups.
    bool over_void_limit(dns::Error error, bool empty);
    SpfMacroValues values_for(const std::string& domain) const;
    void validate_names(std::vector<std::string> names, NamesDone done);

    dns::Resolver& resolver_;
    IpAddress client_;
    SpfMacroValues values_;
    int dns_terms_ = 0;
    int void_lookups_ = 0;
    std::optional<std::vector<std::string>> validated_names_;
    std::string explanation_;
};

}  // namespace pochta::mailauth
