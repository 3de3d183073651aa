// Names and addresses for the evaluation: target names from domain-specs,
// the client's validated PTR names, and the void-lookup limit (RFC 7208
// sections 4.6.4, 5.5 and 7).
#include <algorithm>
#include <memory>

#include "common/util/strings.hpp"
#include "mailauth/spf_evaluation.hpp"

namespace pochta::mailauth {

namespace {

// %{p}: the domain itself when validated, else a name below it, else any
// validated name, else "unknown" (RFC 7208 section 7.3).
std::string pick_validated_domain(const std::vector<std::string>& names, const std::string& domain) {
    for (const auto& name : names)
        if (iequals(name, domain)) return name;
    for (const auto& name : names)
        if (name_within(name, domain)) return name;
    return names.empty() ? "unknown" : names.front();
}

}  // namespace

bool name_within(std::string_view name, std::string_view domain) {
    if (!domain.empty() && domain.back() == '.') domain.remove_suffix(1);
    if (iequals(name, domain)) return true;
    return name.size() > domain.size() && name[name.size() - domain.size() - 1] == '.' &&
           iequals(name.substr(name.size() - domain.size()), domain);
}

SpfMacroValues SpfEvaluation::values_for(const std::string& domain) const {
    SpfMacroValues values = values_;
    values.domain = domain;
    return values;
}

bool SpfEvaluation::over_void_limit(dns::Error error, bool empty) {
    if (error == dns::Error::temporary || (error == dns::Error::none && !empty)) return false;
    return ++void_lookups_ > max_void_lookups;
}

// A domain-spec's expansion ("" = the current domain); nullopt is a permerror.
void SpfEvaluation::expand_target(const std::string& spec, const std::string& domain, NameDone done) {
    if (spec.empty()) return done(domain);
    if (!uses_validated_domain(spec)) {
        auto name = expand_domain_spec(spec, values_for(domain));
        return done(name && !name->empty() ? name : std::nullopt);
    }
    validated_names([self = shared_from_this(), spec, domain, done = std::move(done)](
                        std::optional<std::vector<std::string>> names) {
        if (!names) return done(std::nullopt);
        SpfMacroValues values = self->values_for(domain);
        values.validated_domain = pick_validated_domain(*names, domain);
        auto name = expand_domain_spec(spec, values);
        done(name && !name->empty() ? name : std::nullopt);
    });
}

// A PTR lookup that fails finds no names (RFC 7208 section 5.5).
void SpfEvaluation::validated_names(NamesDone done) {
    if (validated_names_) return done(*validated_names_);
    resolver_.resolve_ptr(ip_text(client_), [self = shared_from_this(), done = std::move(done)](dns::NameResult ptr) {
        if (ptr.error != dns::Error::temporary && self->over_void_limit(ptr.error, ptr.names.empty()))
            return done(std::nullopt);
        if (ptr.names.size() > max_ptr_names) ptr.names.resize(max_ptr_names);
        self->validate_names(std::move(ptr.names), done);
    });
}

// Keeps the names whose addresses include the client's; a name whose lookup
// fails is skipped.
void SpfEvaluation::validate_names(std::vector<std::string> names, NamesDone done) {
    resolve_each(names, [self = shared_from_this(), names, done](std::vector<dns::AddressResult> results) {
        std::vector<std::string> validated;
        SpfMechanism exact;   // full-length prefixes
        for (size_t i = 0; i < names.size(); ++i) {
            const auto& addresses = self->client_.v6 ? results[i].ipv6 : results[i].ipv4;
            if (results[i].error == dns::Error::temporary) continue;
            if (self->over_void_limit(results[i].error, addresses.empty())) return done(std::nullopt);
            if (self->matches_any(addresses, exact)) validated.push_back(names[i]);
        }
        self->validated_names_ = validated;
        done(std::move(validated));
    });
}

void SpfEvaluation::resolve_client_family(const std::string& name, std::function<void(dns::AddressResult)> done) {
    if (client_.v6)
        resolver_.resolve_ipv6(name, std::move(done));
    else
        resolver_.resolve_ipv4(name, std::move(done));
}

// The addresses of every name, asked at once, reported in the names' order.
void SpfEvaluation::resolve_each(std::vector<std::string> names, AddressesDone done) {
    if (names.empty()) return done({});
    struct Gather {
        std::vector<dns::AddressResult> results;
        size_t missing;
        AddressesDone done;
    };
    auto gather = std::make_shared<Gather>(Gather{std::vector<dns::AddressResult>(names.size()), names.size(), std::move(done)});
    for (size_t i = 0; i < names.size(); ++i) {
        resolve_client_family(names[i], [gather, i](dns::AddressResult r) {
            gather->results[i] = std::move(r);
            if (--gather->missing == 0) gather->done(std::move(gather->results));
        });
    }
}

}  // namespace pochta::mailauth
