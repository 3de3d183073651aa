#include "outbound/mx_order.hpp"

#include <arpa/inet.h>

#include <algorithm>

#include "common/util/strings.hpp"

namespace pochta::outbound {
namespace {

bool is_ipv4(const std::string& text) {
    in_addr a{};
    return inet_pton(AF_INET, text.c_str(), &a) == 1;
}

bool is_ipv6(const std::string& text) {
    in6_addr a{};
    return inet_pton(AF_INET6, text.c_str(), &a) == 1;
}

// Keeps the first (lowest preference) entry of a host named twice, so one
// host is not tried twice in one attempt.
void drop_duplicate_hosts(std::vector<dns::MxRecord>& records) {
    std::vector<dns::MxRecord> unique;
    for (auto& record : records) {
        bool seen = std::any_of(unique.begin(), unique.end(),
                                [&](const dns::MxRecord& u) { return iequals(u.host, record.host); });
        if (!seen) unique.push_back(std::move(record));
    }
    records = std::move(unique);
}

}  // namespace

bool is_domain_literal(std::string_view domain) {
    return domain.size() >= 2 && domain.front() == '[' && domain.back() == ']';
}

std::optional<std::string> domain_literal_ip(std::string_view domain) {
    if (!is_domain_literal(domain) || domain.size() > 64) return std::nullopt;
    std::string inner(domain.substr(1, domain.size() - 2));
    if (istarts_with(inner, "IPv6:")) {
        std::string v6 = inner.substr(5);
        if (is_ipv6(v6)) return v6;
        return std::nullopt;
    }
    if (is_ipv4(inner)) return inner;
    return std::nullopt;
}

Route route_for_literal(std::string_view domain) {
    Route route;
    auto ip = domain_literal_ip(domain);
    if (!ip) {
        route.error = RouteError::bad_literal;
        route.message = "invalid address literal " + std::string(domain);
        return route;
    }
    route.hosts.push_back(RouteHost{*ip, 0, true});
    return route;
}

Route order_mx(std::string_view domain, std::vector<dns::MxRecord> records, std::mt19937_64& rng) {
    Route route;
    if (records.size() == 1 && records.front().host.empty()) {
        route.error = RouteError::null_mx;
        route.message = "domain " + std::string(domain) + " does not accept mail (null MX, RFC 7505)";
        return route;
    }
    // A root host among real ones is a misconfiguration: the real ones count.
    std::erase_if(records, [](const dns::MxRecord& r) { return r.host.empty(); });
    if (records.empty()) return route_without_mx(domain);
    // Shuffle first, then a stable sort by preference: equal ones keep the
    // random order.
    std::shuffle(records.begin(), records.end(), rng);
    std::stable_sort(records.begin(), records.end(),
                     [](const dns::MxRecord& a, const dns::MxRecord& b) { return a.preference < b.preference; });
    drop_duplicate_hosts(records);
    for (auto& record : records) {
        if (route.hosts.size() == max_route_hosts) break;
        route.hosts.push_back(RouteHost{std::move(record.host), record.preference, false});
    }
    return route;
}

Route route_without_mx(std::string_view domain) {
    Route route;
    route.hosts.push_back(RouteHost{std::string(domain), 0, false});
    return route;
}

std::vector<std::string> order_addresses(const dns::AddressResult& addresses, size_t limit) {
    std::vector<std::string> out;
    size_t i6 = 0, i4 = 0;
    while (out.size() < limit && (i6 < addresses.ipv6.size() || i4 < addresses.ipv4.size())) {
        if (i6 < addresses.ipv6.size()) out.push_back(addresses.ipv6[i6++]);
        if (out.size() < limit && i4 < addresses.ipv4.size()) out.push_back(addresses.ipv4[i4++]);
    }
    return out;
}

}  // namespace pochta::outbound
