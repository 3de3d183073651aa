// The DNS records a domain served by pochta needs (README.md, "What to
// publish"): one list made here, printed by `pochta dns` and checked
// against the live DNS by `pochta doctor`, so the two never disagree.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/config/config.hpp"

namespace pochta::cli {

struct ZoneRecord {
    std::string name;     // absolute, with the trailing dot
    std::string type;     // "MX", "TXT", "SRV", "CNAME", "A", "AAAA", "PTR"
    std::string value;    // as in a zone file, without quotes; TXT: the whole value, not yet cut
    std::string comment;  // a zone comment line printed before the record ("" = none)
    std::string address;  // PTR: the address it is the reverse name of
};

// The host's public addresses: `public_addresses` from the configuration,
// else the global addresses of the machine's interfaces (no loopback,
// private, shared, link-local or unique-local ones).
struct HostAddresses {
    std::vector<std::string> ipv4, ipv6;
};
HostAddresses host_addresses(const Config& config);

// The records for `domain`, in the order `pochta dns` prints them. Reads
// the DKIM keys of the domain (throws std::runtime_error when a key file
// cannot be read).
std::vector<ZoneRecord> expected_records(const Config& config, std::string_view domain, const HostAddresses& host);

// "NAME TTL IN TYPE VALUE", TXT values quoted and cut into strings of at
// most 255 bytes (RFC 1035 3.3.14); the comment line first, if any.
std::string zone_lines(const ZoneRecord& record);

// The zone form of one record's value: TXT values quoted and cut.
std::string zone_value(const ZoneRecord& record);

}  // namespace pochta::cli
