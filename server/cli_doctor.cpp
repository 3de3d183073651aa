// `pochta doctor [DOMAIN]` (README.md, "What to publish"): the live DNS
// (through [delivery] dns_servers) against the records `pochta dns`
// prints, record by record, forward-confirmed reverse DNS of the
// hostname, and the TLS certificate's names and expiry. Exit 1 when
// something needs fixing.
#include <fmt/format.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <set>

#include "common/dns/resolver.hpp"
#include "common/net/loop.hpp"
#include "common/util/strings.hpp"
#include "server/cli.hpp"
#include "server/zone_records.hpp"

namespace pochta::cli {
namespace {

constexpr int certificate_warning_days = 14;

// What the DNS answered for one name and type.
struct Live {
    dns::Error error = dns::Error::none;
    std::string message;
    std::vector<std::string> values;  // in zone form, names with the trailing dot
};

std::string key_of(std::string_view name, std::string_view type) {
    return to_lower(name) + " " + std::string(type);
}

std::string dotted(std::string_view host) { return host.empty() ? "." : std::string(host) + "."; }

// Every distinct (name, type) of the expected records asked once, all at
// once; run() turns the loop until the last answer is in.
class Lookups {
public:
    explicit Lookups(const Config& config)
        : resolver_(loop_, dns::ResolverOptions{.servers = config.delivery.dns_servers}) {}

    void want(const ZoneRecord& record) {
        if (record.type.empty()) return;
        std::string key = key_of(record.name, record.type);
        if (!live_.emplace(key, Live{}).second) return;
        pending_++;
        std::string name = record.name.substr(0, record.name.size() - 1);
        if (record.type == "MX") resolver_.resolve_mx(name, answer<dns::MxResult>(key, mx_values));
        if (record.type == "TXT") resolver_.resolve_txt(name, answer<dns::TxtResult>(key, txt_values));
        if (record.type == "SRV") resolver_.resolve_srv(name, answer<dns::SrvResult>(key, srv_values));
        if (record.type == "A") resolver_.resolve_ipv4(name, answer<dns::AddressResult>(key, ipv4_values));
        if (record.type == "AAAA") resolver_.resolve_ipv6(name, answer<dns::AddressResult>(key, ipv6_values));
        if (record.type == "PTR") resolver_.resolve_ptr(record.address, answer<dns::NameResult>(key, ptr_values));
        if (record.type == "CNAME") resolver_.resolve_addresses(name, answer<dns::AddressResult>(key, all_addresses));
    }

    std::map<std::string, Live> run() {
        if (pending_ > 0) loop_.run();
        return std::move(live_);
    }

private:
    template <typename Result>
    std::function<void(Result)> answer(const std::string& key, std::vector<std::string> (*values)(const Result&)) {
        return [this, key, values](Result result) {
            live_[key] = Live{result.error, result.message, values(result)};
            if (--pending_ == 0) loop_.stop();
        };
    }

    static std::vector<std::string> mx_values(const dns::MxResult& r) {
        std::vector<std::string> out;
        for (const auto& mx : r.records) out.push_back(fmt::format("{} {}", mx.preference, dotted(mx.host)));
        return out;
    }
    static std::vector<std::string> txt_values(const dns::TxtResult& r) { return r.records; }
    static std::vector<std::string> srv_values(const dns::SrvResult& r) {
        std::vector<std::string> out;
        for (const auto& srv : r.records)
            out.push_back(fmt::format("{} {} {} {}", srv.priority, srv.weight, srv.port, dotted(srv.target)));
        return out;
    }
    static std::vector<std::string> ipv4_values(const dns::AddressResult& r) { return r.ipv4; }
    static std::vector<std::string> ipv6_values(const dns::AddressResult& r) { return r.ipv6; }
    static std::vector<std::string> all_addresses(const dns::AddressResult& r) {
        std::vector<std::string> out = r.ipv4;
        out.insert(out.end(), r.ipv6.begin(), r.ipv6.end());
        return out;
    }
    static std::vector<std::string> ptr_values(const dns::NameResult& r) {
        std::vector<std::string> out;
        for (const auto& name : r.names) out.push_back(dotted(name));
        return out;
    }

    net::EventLoop loop_;
    dns::Resolver resolver_;
    std::map<std::string, Live> live_;
    size_t pending_ = 0;
};

// The lines of the report and the count of what needs fixing.
class Report {
public:
    void ok(const std::string& text) { line("ok", text); }
    void note(const std::string& text) { line("note", text); }
    void problem(const std::string& kind, const std::string& text) {
        problems_++;
        line(kind, text);
    }
    int finish() {
        if (problems_ == 0) out_ += "all right: nothing to fix\n";
        else out_ += fmt::format("{} thing{} to fix: see the lines above\n", problems_, problems_ == 1 ? "" : "s");
        std::fputs(out_.c_str(), stdout);
        return problems_ == 0 ? 0 : 1;
    }

private:
    void line(std::string_view kind, const std::string& text) { out_ += fmt::format("{:<9} {}\n", kind, text); }
    std::string out_;
    unsigned problems_ = 0;
};

std::string quoted_list(const std::vector<std::string>& values) {
    std::string out;
    for (const auto& v : values) out += (out.empty() ? "\"" : ", \"") + v + "\"";
    return out;
}

std::string publish(const std::vector<const ZoneRecord*>& records) {
    std::string out;
    for (const auto* r : records) out += "\n            " + fmt::format("{} 3600 IN {} {}", r->name, r->type, zone_value(*r));
    return out;
}

// The tag a TXT record starts with ("v=spf1", "v=DMARC1", "v=DKIM1"), lowercased.
std::string txt_tag(std::string_view value) {
    size_t end = value.find_first_of("; ");
    return to_lower(trim(value.substr(0, end)));
}

std::string squeeze(std::string_view value) {
    std::string out;
    for (char c : value)
        if (c != ' ' && c != '\t') out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

// What is published may differ from the suggestion and still be right:
// an SPF record naming the MX hosts or each address, DMARC at quarantine
// or reject, the same DKIM key.
bool txt_acceptable(std::string_view tag, std::string_view expected, std::string_view found,
                    const HostAddresses& host) {
    if (squeeze(expected) == squeeze(found)) return true;
    std::string f = " " + to_lower(found) + " ";
    if (tag == "v=spf1") {
        bool closed = f.find(" -all ") != std::string::npos || f.find(" ~all ") != std::string::npos;
        bool names_all = !host.ipv4.empty() || !host.ipv6.empty();
        for (const auto& ip : host.ipv4) names_all &= f.find(" ip4:" + ip + " ") != std::string::npos;
        for (const auto& ip : host.ipv6) names_all &= f.find(" ip6:" + to_lower(ip) + " ") != std::string::npos;
        return closed && (f.find(" mx ") != std::string::npos || f.find(" +mx ") != std::string::npos || names_all);
    }
    if (tag == "v=dmarc1") {
        std::string s = squeeze(found);
        return s.find(";p=quarantine") != std::string::npos || s.find(";p=reject") != std::string::npos;
    }
    if (tag == "v=dkim1") {
        std::string s = squeeze(found), e = squeeze(expected);
        return s.find(e.substr(e.find("p="))) != std::string::npos;
    }
    return false;
}

std::vector<std::string> lowered(std::vector<std::string> values) {
    for (auto& v : values) v = to_lower(v);
    std::sort(values.begin(), values.end());
    return values;
}

// A TXT name holds other records too: only those with the same tag count.
void judge_txt(Report& report, const ZoneRecord& record, const Live& live, const HostAddresses& host) {
    std::string tag = txt_tag(record.value);
    std::vector<std::string> found;
    for (const auto& v : live.values)
        if (txt_tag(v) == tag) found.push_back(v);
    std::string what = fmt::format("{} TXT ({})", record.name, tag);
    if (found.empty()) return report.problem("missing", what + ": publish" + publish({&record}));
    if (found.size() > 1 && tag != "v=dkim1")
        return report.problem("different", what + ": several records " + quoted_list(found) + ", keep one:" +
                                               publish({&record}));
    if (txt_acceptable(tag, record.value, found.front(), host)) return report.ok(what + " \"" + found.front() + "\"");
    report.problem("different", what + ": found " + quoted_list(found) + "; publish" + publish({&record}));
}

// The port and target of an SRV record are what clients use; its priority
// and weight are the admin's to choose.
std::string srv_destination(std::string_view value) {
    auto words = split_words(value);
    return words.size() == 4 ? to_lower(std::string(words[2]) + " " + std::string(words[3])) : std::string(value);
}

void judge_srv(Report& report, const ZoneRecord& record, const Live& live) {
    std::string what = fmt::format("{} SRV", record.name);
    bool not_offered = record.value == "0 0 0 .";
    if (live.values.empty() && not_offered) return report.ok(what + ": none (service not offered; \"0 0 0 .\" says so)");
    if (live.values.empty()) return report.problem("missing", what + ": publish" + publish({&record}));
    for (const auto& v : live.values)
        if (srv_destination(v) == srv_destination(record.value)) return report.ok(what + " " + v);
    report.problem("different", what + ": found " + quoted_list(live.values) + "; publish" + publish({&record}));
}

void judge_ptr(Report& report, const ZoneRecord& record, const Live& live) {
    std::string what = fmt::format("PTR of {}", record.address);
    for (const auto& v : live.values)
        if (iequals(v, record.value)) return report.ok(what + " " + v);
    if (live.values.empty())
        return report.problem("missing", what + ": ask the provider of the address to set it to " + record.value);
    report.problem("different", what + ": found " + quoted_list(live.values) + "; ask the provider of the address to set it to " +
                                    record.value);
}

// What matters of an alias (autoconfig.DOMAIN...) is that it reaches this
// server: a CNAME to the host name, or A/AAAA records of its addresses.
void judge_alias(Report& report, const ZoneRecord& record, const Live& live, const HostAddresses& host) {
    std::string what = fmt::format("{} CNAME", record.name);
    for (const auto& v : live.values)
        for (const auto* family : {&host.ipv4, &host.ipv6})
            if (std::find(family->begin(), family->end(), v) != family->end())
                return report.ok(what + ": reaches " + v);
    if (live.values.empty()) return report.problem("missing", what + ": publish" + publish({&record}));
    report.problem("different", what + ": reaches " + quoted_list(live.values) + ", not this server; publish" +
                                    publish({&record}));
}

// MX, A, AAAA: the published set must be the expected one.
void judge_set(Report& report, const std::vector<const ZoneRecord*>& group, const Live& live) {
    std::vector<std::string> expected;
    for (const auto* r : group) expected.push_back(r->value);
    std::string what = fmt::format("{} {}", group.front()->name, group.front()->type);
    if (lowered(expected) == lowered(live.values)) return report.ok(what + " " + quoted_list(live.values));
    if (live.values.empty()) return report.problem("missing", what + ": publish" + publish(group));
    report.problem("different", what + ": found " + quoted_list(live.values) + "; publish" + publish(group));
}

void judge(Report& report, const std::vector<const ZoneRecord*>& group, const Live& live, const HostAddresses& host) {
    const ZoneRecord& first = *group.front();
    if (live.error == dns::Error::temporary || live.error == dns::Error::bad_name)
        return report.problem("failed", fmt::format("{} {}: lookup failed ({}): try again", first.name, first.type,
                                                    live.message));
    if (first.type == "TXT") {
        for (const auto* r : group) judge_txt(report, *r, live, host);
        return;
    }
    if (first.type == "SRV") return judge_srv(report, first, live);
    if (first.type == "PTR") return judge_ptr(report, first, live);
    if (first.type == "CNAME") return judge_alias(report, first, live, host);
    judge_set(report, group, live);
}

// Records of one (name, type) together, in the order they first appear.
std::vector<std::vector<const ZoneRecord*>> groups_of(const std::vector<ZoneRecord>& records) {
    std::vector<std::vector<const ZoneRecord*>> out;
    std::map<std::string, size_t> index;
    for (const auto& r : records) {
        if (r.type.empty()) continue;
        auto [it, added] = index.emplace(key_of(r.name, r.type), out.size());
        if (added) out.emplace_back();
        out[it->second].push_back(&r);
    }
    return out;
}

// Forward-confirmed reverse DNS: the address's PTR names the hostname and
// the hostname resolves to the address.
void judge_fcrdns(Report& report, const Config& config, const std::vector<ZoneRecord>& records,
                  const std::map<std::string, Live>& live) {
    std::string host = config.hostname + ".";
    for (const auto& r : records) {
        if (r.type != "PTR") continue;
        const Live& ptr = live.at(key_of(r.name, "PTR"));
        const Live& forward = live.at(key_of(host, r.address.find(':') == std::string::npos ? "A" : "AAAA"));
        bool back = std::any_of(ptr.values.begin(), ptr.values.end(), [&](const auto& v) { return iequals(v, host); });
        bool there = std::find(forward.values.begin(), forward.values.end(), r.address) != forward.values.end();
        std::string what = fmt::format("forward-confirmed reverse DNS of {}: {} -> PTR {} -> {}", r.address, r.address,
                                       back ? host : "(not " + host + ")", there ? r.address : "(not " + r.address + ")");
        if (back && there) report.ok(what);
        else report.problem("fix", what);
    }
}

void check_certificate(Report& report, const Config& config) {
    if (config.tls.cert.empty()) return report.note("no [tls] certificate configured: nothing to check");
    std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(config.tls.cert.c_str(), "r"), std::fclose);
    std::unique_ptr<X509, void (*)(X509*)> cert(file ? PEM_read_X509(file.get(), nullptr, nullptr, nullptr) : nullptr,
                                                X509_free);
    if (!cert) return report.problem("fix", fmt::format("TLS certificate {}: cannot be read", config.tls.cert.string()));
    std::string name = fmt::format("TLS certificate {}", config.tls.cert.string());
    if (X509_check_host(cert.get(), config.hostname.c_str(), config.hostname.size(), 0, nullptr) == 1)
        report.ok(fmt::format("{} covers {}", name, config.hostname));
    else
        report.problem("fix", fmt::format("{} does not cover {}: get one whose names include it", name, config.hostname));
    int days = 0, seconds = 0;
    if (!ASN1_TIME_diff(&days, &seconds, nullptr, X509_get0_notAfter(cert.get())))
        return report.problem("fix", name + ": unreadable expiry date");
    if (days < 0 || (days == 0 && seconds <= 0)) return report.problem("fix", name + " has expired: renew it");
    if (days < certificate_warning_days)
        return report.problem("warning", fmt::format("{} expires in {} days: renew it", name, days));
    report.ok(fmt::format("{} valid for {} more days", name, days));
}

}  // namespace

int doctor(const Args& args, const Config& config) {
    if (args.size() > 1) return usage();
    std::vector<std::string> domains = config.domains;
    if (!args.empty()) {
        if (!config.is_local_domain(args[0])) return fail(fmt::format("{} is not one of the local domains", args[0]));
        domains = {to_lower(args[0])};
    }
    HostAddresses host = host_addresses(config);
    std::vector<ZoneRecord> records;
    std::set<std::string> seen;  // the host's records are the same for every domain
    for (const auto& domain : domains)
        for (auto& r : expected_records(config, domain, host))
            if (seen.insert(key_of(r.name, r.type) + " " + r.value + r.comment).second) records.push_back(std::move(r));
    Lookups lookups(config);
    for (const auto& r : records) lookups.want(r);
    std::map<std::string, Live> live = lookups.run();

    Report report;
    if (host.ipv4.empty() && host.ipv6.empty())
        report.problem("fix", "no public address found on this machine: set public_addresses in the configuration");
    for (const auto& r : records)
        if (r.type.empty()) report.problem("fix", std::string(trim(r.comment.substr(1))));
    for (const auto& group : groups_of(records))
        judge(report, group, live.at(key_of(group.front()->name, group.front()->type)), host);
    judge_fcrdns(report, config, records, live);
    check_certificate(report, config);
    return report.finish();
}

}  // namespace pochta::cli
