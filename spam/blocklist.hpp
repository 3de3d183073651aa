// DNS blocklists (README.md, "Spam"): the client's IP address in DNSBL
// zones, the sender's and the DKIM signers' domains in domain blocklists.
// A listing is an A record in 127.0.0.0/8; an answer in 127.255.255.0/24
// is the list telling us it refuses to answer (e.g. through a public
// resolver), never a listing.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/config/config.hpp"
#include "common/dns/resolver.hpp"

namespace pochta::spam {

// "2.0.0.192.zen.example" for 192.0.2.2; IPv6 as 32 reversed nibbles.
// nullopt when `ip` is not an address.
std::optional<std::string> ip_query_name(std::string_view ip, std::string_view zone);
// "example.org.dbl.example"; nullopt when the name would not be a valid host name.
std::optional<std::string> domain_query_name(std::string_view domain, std::string_view zone);

enum class Listing {
    not_listed,   // NXDOMAIN or no A record
    listed,       // an answer in 127.0.0.0/8 outside 127.255.255.0/24
    list_error,   // 127.255.255.x, or an answer outside 127.0.0.0/8 (a resolver rewriting NXDOMAIN)
    temporary,    // no answer: timeout, SERVFAIL
};

struct Answer {
    Listing listing = Listing::not_listed;
    std::string codes;   // the answer's addresses, comma separated
};

Answer interpret_answer(const dns::AddressResult& result);

struct BlocklistHit {
    std::string zone;
    std::string subject;   // the IP address or domain looked up
    std::string codes;
    double weight = 0;
};

struct BlocklistReport {
    std::vector<BlocklistHit> hits;
    // One line per list that could not answer ("zone: reason"); counted as not listed.
    std::vector<std::string> problems;
};

struct BlocklistQuery {
    std::string client_ip;
    std::vector<std::string> domains;   // deduplicated by the caller; at most a few
    std::vector<Config::Spam::Zone> ip_zones;
    std::vector<Config::Spam::Zone> domain_zones;
};

// Every lookup at once through the shared resolver (its cache answers a
// repeated client); `done` runs on the loop once all have answered, never
// inside the call.
void check_blocklists(dns::Resolver& resolver, const BlocklistQuery& query, std::function<void(BlocklistReport)> done);

}  // namespace pochta::spam
