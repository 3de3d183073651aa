// The mechanisms that ask DNS (RFC 7208 section 5): include, a, mx, ptr, exists.
#include <algorithm>

#include "mailauth/spf_evaluation.hpp"

namespace pochta::mailauth {

void SpfEvaluation::match(const SpfMechanism& m, const std::string& target, VerdictDone done) {
    switch (m.kind) {
        case SpfMechanismKind::include: return match_include(target, std::move(done));
        case SpfMechanismKind::a: return match_a(m, target, std::move(done));
        case SpfMechanismKind::mx: return match_mx(m, target, std::move(done));
        case SpfMechanismKind::ptr: return match_ptr(target, std::move(done));
        case SpfMechanismKind::exists: return match_exists(target, std::move(done));
        default: return done(Verdict::permerror);   // evaluate() decides the others itself
    }
}

// The included domain's result says whether include matches (RFC 7208
// section 5.2); no record there is a permerror.
void SpfEvaluation::match_include(const std::string& target, VerdictDone done) {
    check_host(target, false, [done = std::move(done)](SpfResult result) {
        switch (result) {
            case SpfResult::pass: return done(Verdict::match);
            case SpfResult::fail:
            case SpfResult::softfail:
            case SpfResult::neutral: return done(Verdict::no_match);
            case SpfResult::temperror: return done(Verdict::temperror);
            case SpfResult::none:
            case SpfResult::permerror: break;
        }
        done(Verdict::permerror);
    });
}

bool SpfEvaluation::matches_any(const std::vector<std::string>& addresses, const SpfMechanism& m) const {
    const unsigned prefix = client_.v6 ? m.prefix6 : m.prefix4;
    return std::any_of(addresses.begin(), addresses.end(), [&](const std::string& text) {
        auto address = client_.v6 ? parse_ipv6(text) : parse_ipv4(text);
        return address && in_network(client_, *address, prefix);
    });
}

// The target's addresses of the client's family (RFC 7208 section 5.3).
void SpfEvaluation::match_a(const SpfMechanism& m, const std::string& target, VerdictDone done) {
    resolve_client_family(target, [self = shared_from_this(), &m, done = std::move(done)](dns::AddressResult r) {
        const auto& addresses = self->client_.v6 ? r.ipv6 : r.ipv4;
        if (r.error == dns::Error::temporary) return done(Verdict::temperror);
        if (self->over_void_limit(r.error, addresses.empty())) return done(Verdict::permerror);
        done(self->matches_any(addresses, m) ? Verdict::match : Verdict::no_match);
    });
}

// The addresses of every MX host, at most max_mx_names of them (RFC 7208
// sections 4.6.4 and 5.4).
void SpfEvaluation::match_mx(const SpfMechanism& m, const std::string& target, VerdictDone done) {
    resolver_.resolve_mx(target, [self = shared_from_this(), &m, done = std::move(done)](dns::MxResult mx) {
        if (mx.error == dns::Error::temporary) return done(Verdict::temperror);
        if (self->over_void_limit(mx.error, mx.records.empty())) return done(Verdict::permerror);
        if (mx.records.size() > max_mx_names) return done(Verdict::permerror);
        std::vector<std::string> hosts;
        for (const auto& record : mx.records)
            if (!record.host.empty()) hosts.push_back(record.host);
        self->resolve_each(std::move(hosts), [self, &m, done](std::vector<dns::AddressResult> results) {
            Verdict verdict = Verdict::no_match;
            for (const auto& r : results) {
                const auto& addresses = self->client_.v6 ? r.ipv6 : r.ipv4;
                if (r.error == dns::Error::temporary) return done(Verdict::temperror);
                if (self->over_void_limit(r.error, addresses.empty())) return done(Verdict::permerror);
                if (self->matches_any(addresses, m)) verdict = Verdict::match;
            }
            done(verdict);
        });
    });
}

void SpfEvaluation::match_ptr(const std::string& target, VerdictDone done) {
    validated_names([target, done = std::move(done)](std::optional<std::vector<std::string>> names) {
        if (!names) return done(Verdict::permerror);
        bool found = std::any_of(names->begin(), names->end(), [&](const std::string& name) { return name_within(name, target); });
        done(found ? Verdict::match : Verdict::no_match);
    });
}

// exists asks for A records whatever the client's family (RFC 7208 section 5.7).
void SpfEvaluation::match_exists(const std::string& target, VerdictDone done) {
    resolver_.resolve_ipv4(target, [self = shared_from_this(), done = std::move(done)](dns::AddressResult r) {
        if (r.error == dns::Error::temporary) return done(Verdict::temperror);
        if (self->over_void_limit(r.error, r.ipv4.empty())) return done(Verdict::permerror);
        done(r.ipv4.empty() ? Verdict::no_match : Verdict::match);
    });
}

}  // namespace pochta::mailauth
