#include "server/zone_records.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <ifaddrs.h>
#include <netinet/in.h>

#include <algorithm>
#include <memory>

#include "common/dns/resolver.hpp"
#include "http/mta_sts.hpp"
#include "mailauth/dkim_keys.hpp"

namespace pochta::cli {
namespace {

constexpr int ttl = 3600;

// Not reachable from the internet: loopback, RFC 1918, shared (RFC 6598),
// link-local, "this network".
bool is_global_ipv4(const in_addr& address) {
    uint32_t a = ntohl(address.s_addr);
    auto in = [a](uint32_t net, int bits) { return (a >> (32 - bits)) == (net >> (32 - bits)); };
    return !(in(0x00000000, 8) || in(0x7f000000, 8) || in(0x0a000000, 8) || in(0xac100000, 12) ||
             in(0xc0a80000, 16) || in(0x64400000, 10) || in(0xa9fe0000, 16));
}

// Global unicast (2000::/3) only: no loopback, link-local or unique-local.
bool is_global_ipv6(const in6_addr& address) { return (address.s6_addr[0] & 0xe0) == 0x20; }

void add_unique(std::vector<std::string>& list, std::string item) {
    if (std::find(list.begin(), list.end(), item) == list.end()) list.push_back(std::move(item));
}

HostAddresses interface_addresses() {
    HostAddresses out;
    ifaddrs* list = nullptr;
    if (getifaddrs(&list) != 0) return out;
    std::unique_ptr<ifaddrs, void (*)(ifaddrs*)> owner(list, freeifaddrs);
    char text[INET6_ADDRSTRLEN];
    for (ifaddrs* entry = list; entry; entry = entry->ifa_next) {
        if (!entry->ifa_addr) continue;
        if (entry->ifa_addr->sa_family == AF_INET) {
            const auto& address = reinterpret_cast<const sockaddr_in*>(entry->ifa_addr)->sin_addr;
            if (is_global_ipv4(address) && inet_ntop(AF_INET, &address, text, sizeof text)) add_unique(out.ipv4, text);
        } else if (entry->ifa_addr->sa_family == AF_INET6) {
            const auto& address = reinterpret_cast<const sockaddr_in6*>(entry->ifa_addr)->sin6_addr;
            if (is_global_ipv6(address) && inet_ntop(AF_INET6, &address, text, sizeof text)) add_unique(out.ipv6, text);
        }
    }
    return out;
}

std::string absolute(std::string_view name) { return std::string(name) + "."; }

// RFC 6186 and RFC 8314: implicit TLS is preferred (priority 0) over
// STARTTLS (10); a service without a listener is "not offered" (0 0 0 .).
void add_srv(std::vector<ZoneRecord>& out, const Config& config, std::string_view domain) {
    const struct {
        const char* service;
        const std::optional<ListenAddress>& listener;
        int priority;
    } services[] = {
        {"_submissions", config.listen.submissions, 0}, {"_submission", config.listen.submission, 10},
        {"_imaps", config.listen.imaps, 0},             {"_imap", config.listen.imap, 10},
        {"_pop3s", config.listen.pop3s, 0},             {"_pop3", config.listen.pop3, 10},
    };
    for (const auto& s : services) {
        std::string value = s.listener ? fmt::format("{} 1 {} {}.", s.priority, s.listener->port, config.hostname)
                                       : std::string("0 0 0 .");
        out.push_back({fmt::format("{}._tcp.{}.", s.service, domain), "SRV", value, "", ""});
    }
}

// README.md "Autoconfig, MTA-STS and metrics": the names clients and
// sending servers ask the HTTP listeners by. Their certificate must name
// them too (the ACME names include them).
void add_http_names(std::vector<ZoneRecord>& out, const Config& config, std::string_view domain) {
    if (!config.listen.http && !config.listen.https) return;
    std::string target = absolute(config.hostname);
    out.push_back({fmt::format("autoconfig.{}.", domain), "CNAME", target,
                   "; mail clients find their settings here (Thunderbird autoconfig, Outlook autodiscover)", ""});
    out.push_back({fmt::format("autodiscover.{}.", domain), "CNAME", target, "", ""});
    if (!config.listen.https) return;
    std::string policy_id = http::mta_sts_id(http::mta_sts_policy(config));
    out.push_back({fmt::format("mta-sts.{}.", domain), "CNAME", target,
                   fmt::format("; MTA-STS (RFC 8461, mode {}): the id changes whenever the policy does",
                               config.mta_sts.mode),
                   ""});
    out.push_back({fmt::format("_mta-sts.{}.", domain), "TXT", "v=STSv1; id=" + policy_id, "", ""});
    out.push_back({fmt::format("_smtp._tls.{}.", domain), "TXT",
                   fmt::format("v=TLSRPTv1; rua=mailto:postmaster@{}", domain),
                   "; senders' daily reports of TLS failures (RFC 8460) go to postmaster", ""});
}

void add_dkim(std::vector<ZoneRecord>& out, const Config& config, std::string_view domain) {
    auto keys = mailauth::list_dkim_keys(config.dkim.keys_dir, domain);
    if (keys.empty()) {
        // A comment alone: `pochta doctor` says what to do.
        out.push_back({"", "", "", fmt::format("; no DKIM key for {}: create one with `pochta dkim keygen {}`", domain,
                                              domain), ""});
        return;
    }
    for (const auto& key : keys)
        out.push_back({absolute(mailauth::dkim_record_name(key)), "TXT", mailauth::dkim_record_value(key),
                       key.active ? "" : "; not the active selector yet: publish it, then `pochta dkim use`", ""});
}

void add_host(std::vector<ZoneRecord>& out, const Config& config, const HostAddresses& host) {
    std::string name = absolute(config.hostname);
    for (const auto& ip : host.ipv4) out.push_back({name, "A", ip, "", ""});
    for (const auto& ip : host.ipv6) out.push_back({name, "AAAA", ip, "", ""});
    bool first = true;
    for (const auto* family : {&host.ipv4, &host.ipv6}) {
        for (const auto& ip : *family) {
            std::string comment = first ? "; PTR records are set by whoever runs the address block (the hosting provider)"
                                        : "";
            out.push_back({absolute(dns::reverse_name(ip)), "PTR", name, comment, ip});
            first = false;
        }
    }
}

}  // namespace

HostAddresses host_addresses(const Config& config) {
    if (config.public_addresses.empty()) return interface_addresses();
    HostAddresses out;
    unsigned char bytes[16];
    char text[INET6_ADDRSTRLEN];
    for (const auto& ip : config.public_addresses) {
        // Written as the resolver writes them ("2001:db8::1", not "2001:DB8:0::1").
        int family = ip.find(':') == std::string::npos ? AF_INET : AF_INET6;
        if (inet_pton(family, ip.c_str(), bytes) != 1 || !inet_ntop(family, bytes, text, sizeof text)) continue;
        add_unique(family == AF_INET ? out.ipv4 : out.ipv6, text);
    }
    return out;
}

std::vector<ZoneRecord> expected_records(const Config& config, std::string_view domain, const HostAddresses& host) {
    std::vector<ZoneRecord> out;
    std::string origin = absolute(domain);
    out.push_back({origin, "MX", fmt::format("10 {}.", config.hostname), "", ""});
    // "mx": the MX host is the one that sends; it stays right when its
    // addresses change. -all: nothing else sends for the domain.
    std::string spf_comment = config.delivery.relay.empty()
                                  ? ""
                                  : "; mail leaves through [delivery] relay: add the relay's SPF (include:...) here";
    out.push_back({origin, "TXT", "v=spf1 mx -all", spf_comment, ""});
    add_dkim(out, config, domain);
    out.push_back({"_dmarc." + origin, "TXT", fmt::format("v=DMARC1; p=quarantine; rua=mailto:postmaster@{}", domain),
                   "; once the reports show SPF and DKIM passing for all your mail, move to p=reject", ""});
    add_srv(out, config, domain);
    add_http_names(out, config, domain);
    add_host(out, config, host);
    return out;
}

std::string zone_value(const ZoneRecord& record) {
    if (record.type != "TXT") return record.value;
    std::string out;
    for (const auto& piece : mailauth::split_txt_strings(record.value)) {
        if (!out.empty()) out += ' ';
        out += '"' + piece + '"';
    }
    return out;
}

std::string zone_lines(const ZoneRecord& record) {
    std::string out = record.comment.empty() ? "" : record.comment + "\n";
    if (!record.type.empty()) out += fmt::format("{} {} IN {} {}\n", record.name, ttl, record.type, zone_value(record));
    return out;
}

}  // namespace pochta::cli
