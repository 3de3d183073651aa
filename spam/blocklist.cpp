// Query names and answers of DNS blocklists (README.md, "Spam").
#include "spam/blocklist.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <cstring>
#include <memory>
#include <tuple>

#include "common/util/strings.hpp"

namespace pochta::spam {

namespace {

std::string reversed_ipv4(const in_addr& a) {
    const auto* b = reinterpret_cast<const unsigned char*>(&a.s_addr);
    return fmt::format("{}.{}.{}.{}", b[3], b[2], b[1], b[0]);
}

std::string reversed_ipv6(const in6_addr& a) {
    static const char hex[] = "0123456789abcdef";
    std::string out;
    for (int i = 15; i >= 0; --i) {
        out += hex[a.s6_addr[i] & 0xf];
        out += '.';
        out += hex[a.s6_addr[i] >> 4];
        if (i > 0) out += '.';
    }
    return out;
}

// The IPv4 address inside an IPv4-mapped IPv6 one, as the client really is.
bool mapped_ipv4(const in6_addr& a, in_addr& out) {
    static const unsigned char prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(a.s6_addr, prefix, 12) != 0) return false;
    std::memcpy(&out.s_addr, a.s6_addr + 12, 4);
    return true;
}

}  // namespace

std::optional<std::string> ip_query_name(std::string_view ip, std::string_view zone) {
    std::string text(ip);
    in_addr v4{};
    in6_addr v6{};
    if (inet_pton(AF_INET, text.c_str(), &v4) == 1) return reversed_ipv4(v4) + "." + std::string(zone);
    if (inet_pton(AF_INET6, text.c_str(), &v6) != 1) return std::nullopt;
    if (mapped_ipv4(v6, v4)) return reversed_ipv4(v4) + "." + std::string(zone);
    return reversed_ipv6(v6) + "." + std::string(zone);
}

std::optional<std::string> domain_query_name(std::string_view domain, std::string_view zone) {
    while (!domain.empty() && domain.back() == '.') domain.remove_suffix(1);
    std::string name = to_lower(domain) + "." + std::string(zone);
    if (domain.empty() || !is_valid_hostname(name)) return std::nullopt;
    return name;
}

Answer interpret_answer(const dns::AddressResult& result) {
    Answer out;
    switch (result.error) {
        case dns::Error::nxdomain:
        case dns::Error::nodata:
        case dns::Error::bad_name: return out;
        case dns::Error::temporary: out.listing = Listing::temporary; return out;
        case dns::Error::none: break;
    }
    bool listed = false, error = false;
    for (const auto& address : result.ipv4) {
        if (!out.codes.empty()) out.codes += ',';
        out.codes += address;
        if (address.rfind("127.255.255.", 0) == 0 || address.rfind("127.", 0) != 0)
            error = true;
        else
            listed = true;
    }
    // One error code taints the answer: a list that says it refuses us is not believed about anything.
    out.listing = error ? Listing::list_error : listed ? Listing::listed : Listing::not_listed;
    return out;
}

namespace {

struct Pending {
    BlocklistReport report;
    size_t waiting = 0;
    std::function<void(BlocklistReport)> done;

    void finish_one() {
        if (--waiting == 0) done(std::move(report));
    }
};

void ask(dns::Resolver& resolver, const std::shared_ptr<Pending>& pending, const std::string& name,
         const Config::Spam::Zone& zone, const std::string& subject) {
    resolver.resolve_ipv4(name, [pending, zone, subject](dns::AddressResult result) {
        Answer answer = interpret_answer(result);
        if (answer.listing == Listing::listed)
            pending->report.hits.push_back({zone.zone, subject, answer.codes, zone.weight});
        else if (answer.listing == Listing::list_error)
            pending->report.problems.push_back(fmt::format("{}: error answer {}", zone.zone, answer.codes));
        else if (answer.listing == Listing::temporary)
            pending->report.problems.push_back(fmt::format("{}: {}", zone.zone, result.message));
        pending->finish_one();
    });
}

}  // namespace

void check_blocklists(dns::Resolver& resolver, const BlocklistQuery& query, std::function<void(BlocklistReport)> done) {
    auto pending = std::make_shared<Pending>();
    pending->done = std::move(done);
    std::vector<std::tuple<std::string, Config::Spam::Zone, std::string>> lookups;
    for (const auto& zone : query.ip_zones)
        if (auto name = ip_query_name(query.client_ip, zone.zone)) lookups.emplace_back(*name, zone, query.client_ip);
    for (const auto& domain : query.domains)
        for (const auto& zone : query.domain_zones)
            if (auto name = domain_query_name(domain, zone.zone)) lookups.emplace_back(*name, zone, to_lower(domain));
    pending->waiting = lookups.size() + 1;
    for (const auto& [name, zone, subject] : lookups) ask(resolver, pending, name, zone, subject);
    // The extra count makes `done` run later on the loop also when there is nothing to look up.
    resolver.loop().post([pending] { pending->finish_one(); });
}

}  // namespace pochta::spam
