// Where mail for a domain goes (RFC 5321 section 5.1): the MX hosts in
// preference order, shuffled among equals so that load spreads, the domain
// itself when it has no MX, nowhere for a null MX (RFC 7505), and straight
// to the address for a domain literal.
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "common/dns/resolver.hpp"

namespace pochta::outbound {

struct RouteHost {
    std::string host;          // a host name to look up, or an IP when `literal`
    uint16_t preference = 0;
    bool literal = false;
};

enum class RouteError {
    none,
    null_mx,       // the domain says it takes no mail: bounce at once
    bad_literal,   // "[...]" that is no IP address: bounce at once
};

struct Route {
    RouteError error = RouteError::none;
    std::string message;             // why, for the bounce
    std::vector<RouteHost> hosts;    // in the order to try
};

// More MX hosts than this are not tried in one delivery attempt.
constexpr size_t max_route_hosts = 10;

// The IP inside "[192.0.2.1]" or "[IPv6:2001:db8::1]"; nullopt when
// `domain` is no literal or not a valid one.
std::optional<std::string> domain_literal_ip(std::string_view domain);
bool is_domain_literal(std::string_view domain);

// A domain literal routes to its address without any lookup.
Route route_for_literal(std::string_view domain);

// From the MX answer to the host list. `rng` decides the order among hosts
// of equal preference (injectable so tests are deterministic).
Route order_mx(std::string_view domain, std::vector<dns::MxRecord> records, std::mt19937_64& rng);

// No MX records at all: the domain itself is the host (the A/AAAA fallback).
Route route_without_mx(std::string_view domain);

// The addresses of one host in the order to connect: IPv6 and IPv4
// alternating, IPv6 first, so that a broken IPv6 path costs one attempt
// and not all of them. At most `limit` addresses.
std::vector<std::string> order_addresses(const dns::AddressResult& addresses, size_t limit = 10);

}  // namespace pochta::outbound
