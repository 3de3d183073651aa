// Loading pochta.toml: walks every table, refuses unknown keys and wrong
// types at their line, then checks the rules that span several keys.
#include "common/config/config.hpp"

#include "common/config/quota_rule.hpp"

#include <fmt/format.h>

#include <arpa/inet.h>
#include <toml++/toml.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>

#include "common/util/strings.hpp"

namespace pochta {

namespace {

namespace fs = std::filesystem;

constexpr std::uintmax_t max_config_bytes = 1 << 20;

class Loader {
public:
    explicit Loader(const fs::path& file) {
        config_.file = file;
        std::error_code ec;
        fs::path absolute = fs::absolute(file, ec);
        base_ = ec ? file.parent_path() : absolute.parent_path();
    }

    Config run() {
        toml::table root = parse();
        walk_root(root);
        check_cross_rules(root);
        return std::move(config_);
    }

private:
    Config config_;
    fs::path base_;
    // Lines of keys that later rules point at.
    std::map<std::string, unsigned> lines_;

    std::string name() const { return config_.file.string(); }

    [[noreturn]] void fail(unsigned line, std::string_view text) const {
        // One line on stderr, whatever the parser's message holds.
        std::string reason(text);
        for (char& c : reason)
            if (c == '\n' || c == '\r') c = ' ';
        if (line == 0) throw ConfigError(fmt::format("{}: {}", name(), reason));
        throw ConfigError(fmt::format("{}:{}: {}", name(), line, reason));
    }
    [[noreturn]] void fail(const toml::source_region& where, std::string_view reason) const {
        fail(where.begin.line, reason);
    }

    toml::table parse() {
        std::ifstream in(config_.file, std::ios::binary);
        if (!in) fail(0, fmt::format("cannot read: {}", std::strerror(errno)));
        std::string text;
        char buf[8192];
        while (in.read(buf, sizeof buf) || in.gcount() > 0) {
            text.append(buf, static_cast<size_t>(in.gcount()));
            if (text.size() > max_config_bytes) fail(0, "larger than 1 MiB, not a configuration file");
        }
        if (in.bad()) fail(0, "read error");
        try {
            return toml::parse(text, name());
        } catch (const toml::parse_error& e) {
            fail(e.source(), e.description());
        }
    }

    fs::path resolve(const std::string& text) const {
        fs::path p(text);
        if (p.is_absolute()) return p.lexically_normal();
        return (base_ / p).lexically_normal();
    }

    std::string get_string(const toml::node& node, std::string_view key) const {
        if (!node.is_string()) fail(node.source(), fmt::format("{} must be a string", key));
        return node.as_string()->get();
    }

    int64_t get_int(const toml::node& node, std::string_view key, int64_t min, int64_t max) const {
        if (!node.is_integer()) fail(node.source(), fmt::format("{} must be an integer", key));
        int64_t v = node.as_integer()->get();
        if (v < min || v > max) fail(node.source(), fmt::format("{} must be between {} and {}", key, min, max));
        return v;
    }

    bool get_bool(const toml::node& node, std::string_view key) const {
        if (!node.is_boolean()) fail(node.source(), fmt::format("{} must be true or false", key));
        return node.as_boolean()->get();
    }

    const toml::table& get_table(const toml::node& node, std::string_view key) const {
        if (!node.is_table()) fail(node.source(), fmt::format("{} must be a table", key));
        return *node.as_table();
    }

    fs::path get_path(const toml::node& node, std::string_view key) const {
        std::string text = get_string(node, key);
        if (text.empty()) fail(node.source(), fmt::format("{} must not be empty", key));
        if (text.find('\0') != std::string::npos) fail(node.source(), fmt::format("{} contains a NUL", key));
        return resolve(text);
    }

    std::vector<fs::path> get_paths(const toml::node& node, std::string_view key) const {
        if (!node.is_array()) fail(node.source(), fmt::format("{} must be an array of paths", key));
        std::vector<fs::path> out;
        for (const toml::node& item : *node.as_array()) out.push_back(get_path(item, fmt::format("each entry of {}", key)));
        return out;
    }

    void remember(const toml::key& key, std::string_view full) { lines_[std::string(full)] = key.source().begin.line; }
    unsigned line_of(const std::string& full) const {
        auto it = lines_.find(full);
        return it == lines_.end() ? 0 : it->second;
    }

    [[noreturn]] void unknown(const toml::key& key, std::string_view prefix) const {
        fail(key.source(), fmt::format("unknown key '{}{}'", prefix, key.str()));
    }

    void walk_root(const toml::table& root) {
        for (auto&& [key, node] : root) {
            std::string_view k = key.str();
            remember(key, k);
            if (k == "hostname") {
                config_.hostname = get_string(node, k);
                if (config_.hostname.empty()) fail(node.source(), "hostname must not be empty");
                if (!is_valid_hostname(config_.hostname))
                    fail(node.source(), fmt::format("hostname '{}' is not a valid host name", config_.hostname));
            } else if (k == "data_dir") {
                config_.data_dir = get_path(node, k);
            } else if (k == "domains") {
                walk_domains(node);
            } else if (k == "users_file") {
                config_.users_file = get_path(node, k);
            } else if (k == "aliases_file") {
                std::string text = get_string(node, k);
                if (!text.empty()) config_.aliases_file = get_path(node, k);
            } else if (k == "run_as") {
                config_.run_as = get_string(node, k);
            } else if (k == "public_addresses") {
                walk_public_addresses(node);
            } else if (k == "tls") {
                walk_tls(get_table(node, "tls"));
            } else if (k == "listen") {
                walk_listen(get_table(node, "listen"));
            } else if (k == "limits") {
                walk_limits(get_table(node, "limits"));
            } else if (k == "delivery") {
                walk_delivery(get_table(node, "delivery"));
            } else if (k == "auth") {
                walk_auth(get_table(node, "auth"));
            } else if (k == "checks") {
                walk_checks(get_table(node, "checks"));
            } else if (k == "srs") {
                walk_srs(get_table(node, "srs"));
            } else if (k == "dkim") {
                walk_dkim(get_table(node, "dkim"));
            } else if (k == "spam") {
                walk_spam(get_table(node, "spam"));
            } else if (k == "sieve") {
                walk_sieve(get_table(node, "sieve"));
            } else if (k == "acme") {
                walk_acme(get_table(node, "acme"));
            } else if (k == "http") {
                walk_http(get_table(node, "http"));
            } else if (k == "mta_sts") {
                walk_mta_sts(get_table(node, "mta_sts"));
            } else if (k == "search") {
                walk_search(get_table(node, "search"));
            } else if (k == "quota") {
                walk_quota(get_table(node, "quota"));
            } else {
                unknown(key, "");
            }
        }
    }

    void walk_domains(const toml::node& node) {
        if (!node.is_array()) fail(node.source(), "domains must be an array of strings");
        for (const toml::node& item : *node.as_array()) {
            std::string domain = to_lower(get_string(item, "each entry of domains"));
            if (!is_valid_hostname(domain))
                fail(item.source(), fmt::format("domain '{}' is not a valid host name", domain));
            for (const auto& seen : config_.domains)
                if (seen == domain) fail(item.source(), fmt::format("domain '{}' is listed twice", domain));
            config_.domains.push_back(domain);
        }
        if (config_.domains.empty()) fail(node.source(), "domains must name at least one local domain");
    }

    void walk_public_addresses(const toml::node& node) {
        if (!node.is_array()) fail(node.source(), "public_addresses must be an array of IP addresses");
        for (const toml::node& item : *node.as_array()) {
            std::string ip = get_string(item, "each entry of public_addresses");
            unsigned char bytes[16];
            if (inet_pton(AF_INET, ip.c_str(), bytes) != 1 && inet_pton(AF_INET6, ip.c_str(), bytes) != 1)
                fail(item.source(), fmt::format("public_addresses: '{}' is not an IPv4 or IPv6 address", ip));
            config_.public_addresses.push_back(ip);
        }
    }

    void walk_tls(const toml::table& table) {
        for (auto&& [key, node] : table) {
            std::string_view k = key.str();
            if (k == "cert") {
                config_.tls.cert = get_path(node, "tls.cert");
                config_.lines.tls_cert = key.source().begin.line;
            } else if (k == "key") {
                config_.tls.key = get_path(node, "tls.key");
                config_.lines.tls_key = key.source().begin.line;
            } else if (k == "min_version") {
                std::string version = get_string(node, "tls.min_version");
                if (version != "1.2" && version != "1.3")
                    fail(node.source(), fmt::format("tls.min_version must be \"1.2\" or \"1.3\", not \"{}\"", version));
                config_.tls.tls13_only = version == "1.3";
            } else if (k == "ciphers") {
                config_.tls.ciphers = get_string(node, "tls.ciphers");
                if (config_.tls.ciphers.find('\0') != std::string::npos)
                    fail(node.source(), "tls.ciphers contains a NUL");
            } else {
                unknown(key, "tls.");
            }
        }
        if (config_.tls.cert.empty() != config_.tls.key.empty())
            fail(table.source(), config_.tls.cert.empty() ? "[tls] has key but no cert" : "[tls] has cert but no key");
    }

    void walk_listen(const toml::table& table) {
        static const std::pair<const char*, std::optional<ListenAddress> Config::Listen::*> services[] = {
            {"smtp", &Config::Listen::smtp},   {"submission", &Config::Listen::submission},
            {"submissions", &Config::Listen::submissions},
            {"imap", &Config::Listen::imap},   {"imaps", &Config::Listen::imaps},
            {"pop3", &Config::Listen::pop3},   {"pop3s", &Config::Listen::pop3s},
            {"sieve", &Config::Listen::sieve},
            {"http", &Config::Listen::http},   {"https", &Config::Listen::https},
            {"metrics", &Config::Listen::metrics},
        };
        for (auto&& [key, node] : table) {
            std::string_view k = key.str();
            bool known = false;
            for (const auto& [service, member] : services) {
                if (k != service) continue;
                known = true;
                std::string full = fmt::format("listen.{}", k);
                remember(key, full);
                std::string text = get_string(node, full);
                try {
                    config_.listen.*member = parse_listen_address(text);
                } catch (const std::invalid_argument& e) {
                    fail(node.source(), fmt::format("{} = \"{}\": {}", full, text, e.what()));
                }
            }
            if (!known) unknown(key, "listen.");
        }
    }

    void walk_limits(const toml::table& table) {
        constexpr int64_t umax = std::numeric_limits<unsigned>::max();
        for (auto&& [key, node] : table) {
            std::string_view k = key.str();
            std::string full = fmt::format("limits.{}", k);
            if (k == "max_message_size")
                config_.limits.max_message_size =
                    static_cast<uint64_t>(get_int(node, full, 1, std::numeric_limits<int64_t>::max()));
            else if (k == "max_recipients")
                config_.limits.max_recipients = static_cast<unsigned>(get_int(node, full, 1, umax));
            else if (k == "max_connections")
                config_.limits.max_connections = static_cast<unsigned>(get_int(node, full, 1, umax));
            else if (k == "max_connections_per_ip")
                config_.limits.max_connections_per_ip = static_cast<unsigned>(get_int(node, full, 1, umax));
            else if (k == "max_connections_per_user_ip")
                config_.limits.max_connections_per_user_ip = static_cast<unsigned>(get_int(node, full, 1, umax));
            else if (k == "preauth_idle_timeout")
                config_.limits.preauth_idle_timeout = get_duration(node, full);
            else
                unknown(key, "limits.");
        }
    }

    void walk_auth(const toml::table& table) {
        auto& a = config_.auth;
        for (auto&& [key, node] : table) {
            std::string_view k = key.str();
            std::string full = fmt::format("auth.{}", k);
            if (k == "hash_threads") a.hash_threads = static_cast<unsigned>(get_int(node, full, 1, 256));
            else if (k == "hash_queue") a.hash_queue = static_cast<unsigned>(get_int(node, full, 1, 1000000));
            else if (k == "hash_per_address") a.hash_per_address = static_cast<unsigned>(get_int(node, full, 1, 256));
            else if (k == "max_delay") a.max_delay = get_duration(node, full);
            else if (k == "account_delay_after") a.account_delay_after = static_cast<unsigned>(get_int(node, full, 0, 1000000));
            else if (k == "ban_after") a.ban_after = static_cast<unsigned>(get_int(node, full, 1, 1000000));
            else if (k == "ban_time") a.ban_time = get_duration(node, full);
            else unknown(key, "auth.");
        }
    }

    void walk_checks(const toml::table& table) {
        auto& c = config_.checks;
        for (auto&& [key, node] : table) {
            std::string_view k = key.str();
            std::string full = fmt::format("checks.{}", k);
            if (k == "enabled") c.enabled = get_bool(node, full);
            else if (k == "authserv_id") c.authserv_id = get_authserv_id(node, full);
            else if (k == "dmarc_reject") c.dmarc_reject = get_bool(node, full);
            else if (k == "dmarc_quarantine") c.dmarc_quarantine = get_bool(node, full);
            else if (k == "spf_reject") c.spf_reject = get_bool(node, full);
            else if (k == "local_from") c.local_from = get_bool(node, full);
            else unknown(key, "checks.");
        }
    }

    // A host name as in `hostname`: it is written into every stored
    // message's Authentication-Results field.
    std::string get_authserv_id(const toml::node& node, std::string_view key) const {
        std::string id = to_lower(get_string(node, key));
        if (!id.empty() && !is_valid_hostname(id))
            fail(node.source(), fmt::format("{} '{}' is not a valid host name", key, id));
        return id;
    }

    std::vector<std::string> get_strings(const toml::node& node, const std::string& full) const {
        if (!node.is_array()) fail(node.source(), fmt::format("{} must be an array of strings", full));
        std::vector<std::string> out;
        for (const toml::node& item : *node.as_array()) out.push_back(get_string(item, "each entry of " + full));
        return out;
    }

    void walk_acme(const toml::table& table) {
        auto& a = config_.acme;
        for (auto&& [key, node] : table) {
            std::string_view k = key.str();
            std::string full = fmt::format("acme.{}", k);
            remember(key, full);
            if (k == "directory") {
                a.directory = get_string(node, full);
                if (!a.directory.starts_with("https://")) fail(node.source(), "acme.directory must be an https:// URL");
            } else if (k == "contact") {
                a.contact = get_strings(node, full);
                for (const auto& c : a.contact)
                    if (!c.starts_with("mailto:") || c.find_first_of("\",\\ \t") != std::string::npos)
                        fail(node.source(), fmt::format("acme.contact: '{}' is not a mailto: URL", c));
            } else if (k == "names") {
                a.names = get_strings(node, full);
                for (auto& name : a.names) {
                    name = to_lower(name);
                    if (!is_valid_hostname(name))
                        fail(node.source(), fmt::format("acme.names: '{}' is not a valid host name", name));
                }
            } else if (k == "challenge") {
                std::string challenge = get_string(node, full);
                if (challenge != "tls-alpn-01" && challenge != "http-01")
                    fail(node.source(), "acme.challenge must be \"tls-alpn-01\" or \"http-01\"");
                a.http_01 = challenge == "http-01";
            } else if (k == "ca_file") {
                a.ca_file = get_path(node, full);
            } else {
                unknown(key, "acme.");
            }
        }
        if (a.directory.empty()) fail(table.source(), "[acme] needs directory");
    }

    // [acme] manages the certificate the listeners use.
    void apply_acme() {
        auto& a = config_.acme;
        if (a.directory.empty()) return;
        if (!config_.tls.cert.empty())
            fail(config_.lines.tls_cert, "[acme] manages the certificate: remove tls.cert and tls.key");
        config_.tls.cert = config_.data_dir / "acme" / "fullchain.pem";
        config_.tls.key = config_.data_dir / "acme" / "privkey.pem";
        if (!a.names.empty()) return;
        a.names.push_back(to_lower(config_.hostname));
        for (const auto& domain : config_.domains)
            for (const char* prefix : {"autoconfig.", "mta-sts."}) a.names.push_back(prefix + domain);
    }

    void walk_quota(const toml::table& table) {
        auto& q = config_.quota;
        for (auto&& [key, node] : table) {
            std::string_view k = key.str();
            std::string full = fmt::format("quota.{}", k);
            if (k == "storage") {
                // "1G" as Dovecot writes it, or a number of octets.
                std::optional<uint64_t> size = node.is_string() ? parse_quota_size(get_string(node, full))
                                                                : std::optional<uint64_t>(static_cast<uint64_t>(
                                                                      get_int(node, full, 0, INT64_MAX)));
                if (!size) fail(node.source(), fmt::format("{} must be a size such as \"1G\", \"500M\" or 0", full));
                q.storage = *size;
            } else if (k == "messages") {
                q.messages = static_cast<uint64_t>(get_int(node, full, 0, INT64_MAX));
            } else if (k == "warning_percent") {
                q.warning_percent = static_cast<unsigned>(get_int(node, full, 0, 100));
            } else {
                unknown(key, "quota.");
            }
        }
    }

    void walk_sieve(const toml::table& table) {
        auto& s = config_.sieve;
        for (auto&& [key, node] : table) {
            std::string_view k = key.str();
            std::string full = fmt::format("sieve.{}", k);
            if (k == "max_scripts")
                s.max_scripts = static_cast<unsigned>(get_int(node, full, 1, 1000));
            else if (k == "max_script_size")
                s.max_script_size = static_cast<uint64_t>(get_int(node, full, 1, 1024 * 1024));
            else if (k == "before" || k == "after")
                (k == "before" ? s.before : s.after) = get_paths(node, full);
            else if (k == "global_dir")
                s.global_dir = get_path(node, full);
            else if (k == "vacation_min_period" || k == "vacation_max_period")
                (k == "vacation_min_period" ? s.vacation_min_period : s.vacation_max_period) =
                    get_vacation_period(node, full);
            else
                unknown(key, "sieve.");
        }
        if (s.vacation_min_period > s.vacation_max_period)
            fail(table.source(), "sieve.vacation_min_period is above sieve.vacation_max_period");
    }

    std::chrono::seconds get_vacation_period(const toml::node& node, const std::string& key) {
        auto period = get_duration(node, key);
        if (period > std::chrono::hours(24 * 365)) fail(node.source(), key + " must be at most 365d");
        return period;
    }

    void walk_http(const toml::table& table) {
        for (auto&& [key, node] : table) {
            if (key.str() != "metrics_networks") unknown(key, "http.");
            if (!node.is_array()) fail(node.source(), "http.metrics_networks must be an array of networks");
            for (const toml::node& item : *node.as_array()) {
                std::string network = get_string(item, "each entry of http.metrics_networks");
                if (!is_valid_network(network))
                    fail(item.source(), fmt::format("http.metrics_networks: '{}' is not a network such as "
                                                    "\"192.0.2.0/24\" or an address", network));
                config_.http.metrics_networks.push_back(network);
            }
        }
    }

    void walk_mta_sts(const toml::table& table) {
        auto& m = config_.mta_sts;
        for (auto&& [key, node] : table) {
            std::string_view k = key.str();
            std::string full = fmt::format("mta_sts.{}", k);
            if (k == "mode") {
                m.mode = get_string(node, full);
                if (m.mode != "none" && m.mode != "testing" && m.mode != "enforce")
                    fail(node.source(), "mta_sts.mode must be \"none\", \"testing\" or \"enforce\"");
            } else if (k == "max_age") {
                m.max_age = get_duration(node, full);
                if (m.max_age.count() > 31557600) fail(node.source(), "mta_sts.max_age must be at most 1 year (31557600 s)");
            } else if (k == "mx") {
                if (!node.is_array()) fail(node.source(), "mta_sts.mx must be an array of host names");
                for (const toml::node& item : *node.as_array()) {
                    std::string mx = to_lower(get_string(item, "each entry of mta_sts.mx"));
                    std::string_view host = mx.starts_with("*.") ? std::string_view(mx).substr(2) : std::string_view(mx);
                    if (!is_valid_hostname(host))
                        fail(item.source(), fmt::format("mta_sts.mx: '{}' is not a host name or *.domain", mx));
                    m.mx.push_back(mx);
                }
            } else {
                unknown(key, "mta_sts.");
            }
        }
    }

    void walk_search(const toml::table& table) {
        auto& s = config_.search;
        for (auto&& [key, node] : table) {
            std::string_view k = key.str();
            std::string full = fmt::format("search.{}", k);
            if (k == "index")
                s.index = get_bool(node, full);
            else if (k == "max_indexed_size")
                s.max_indexed_size =
                    static_cast<uint64_t>(get_int(node, full, 0, std::numeric_limits<int64_t>::max()));
            else
                unknown(key, "search.");
        }
    }

    void walk_srs(const toml::table& table) {
        auto& s = config_.srs;
        for (auto&& [key, node] : table) {
            std::string_view k = key.str();
            std::string full = fmt::format("srs.{}", k);
            if (k == "enabled") {
                s.enabled = get_bool(node, full);
            } else if (k == "domain") {
                s.domain = to_lower(get_string(node, full));
                if (!is_valid_hostname(s.domain))
                    fail(node.source(), fmt::format("srs.domain '{}' is not a valid host name", s.domain));
            } else if (k == "secret_file") {
                s.secret_file = get_path(node, full);
            } else if (k == "max_age") {
                auto age = get_duration(node, full);
                if (age < std::chrono::hours(24) || age > std::chrono::hours(24 * 1000))
                    fail(node.source(), "srs.max_age must be between 1d and 1000d");
                s.max_age_days = static_cast<unsigned>(age / std::chrono::hours(24));
            } else {
                unknown(key, "srs.");
            }
        }
    }

    void walk_dkim(const toml::table& table) {
        for (auto&& [key, node] : table) {
            std::string_view k = key.str();
            remember(key, fmt::format("dkim.{}", k));
            if (k == "keys_dir") config_.dkim.keys_dir = get_path(node, "dkim.keys_dir");
            else unknown(key, "dkim.");
        }
    }

    double get_double(const toml::node& node, std::string_view key, double min, double max) const {
        double v = 0;
        if (node.is_integer()) v = static_cast<double>(node.as_integer()->get());
        else if (node.is_floating_point()) v = node.as_floating_point()->get();
        else fail(node.source(), fmt::format("{} must be a number", key));
        if (!(v >= min && v <= max)) fail(node.source(), fmt::format("{} must be between {} and {}", key, min, max));
        return v;
    }

    void walk_spam(const toml::table& table) {
        auto& s = config_.spam;
        constexpr double max_points = 1e6;
        const toml::table* users = nullptr;  // read last: a user's missing threshold is the server's
        for (auto&& [key, node] : table) {
            std::string_view k = key.str();
            std::string full = fmt::format("spam.{}", k);
            if (k == "enabled") s.enabled = get_bool(node, full);
            else if (k == "junk_score") s.thresholds.junk_score = get_double(node, full, -max_points, max_points);
            else if (k == "reject_score") s.thresholds.reject_score = get_double(node, full, -max_points, max_points);
            else if (k == "dnsbl") s.dnsbl = get_zones(node, full);
            else if (k == "domain_blocklists") s.domain_blocklists = get_zones(node, full);
            else if (k == "bayes_weight") s.bayes_weight = get_double(node, full, 0, max_points);
            else if (k == "bayes_min_messages") s.bayes_min_messages = static_cast<unsigned>(get_int(node, full, 1, 1000000));
            else if (k == "reputation") s.reputation = get_bool(node, full);
            else if (k == "greylist") s.greylist = get_bool(node, full);
            else if (k == "greylist_delay") s.greylist_delay = get_duration(node, full);
            else if (k == "rspamd") s.rspamd = get_rspamd_url(node, full);
            else if (k == "rspamd_timeout") s.rspamd_timeout = get_duration(node, full);
            else if (k == "outbound_messages_per_hour") s.outbound_messages_per_hour = static_cast<unsigned>(get_int(node, full, 1, 100000000));
            else if (k == "outbound_recipients_per_hour") s.outbound_recipients_per_hour = static_cast<unsigned>(get_int(node, full, 1, 100000000));
            else if (k == "users") users = &get_table(node, full);
            else unknown(key, "spam.");
        }
        if (users) walk_spam_users(*users);
    }

    // [spam.users."alice@example.org"]: junk_score and reject_score of one user.
    void walk_spam_users(const toml::table& table) {
        for (auto&& [user, node] : table) {
            std::string address = to_lower(user.str());
            if (address.find('@') == std::string::npos)
                fail(user.source(), fmt::format("spam.users: '{}' is not an address", user.str()));
            Config::Spam::Thresholds t = config_.spam.thresholds;
            for (auto&& [key, value] : get_table(node, "spam.users entry")) {
                std::string full = fmt::format("spam.users.\"{}\".{}", address, key.str());
                if (key.str() == "junk_score") t.junk_score = get_double(value, full, -1e6, 1e6);
                else if (key.str() == "reject_score") t.reject_score = get_double(value, full, -1e6, 1e6);
                else unknown(key, fmt::format("spam.users.\"{}\".", address));
            }
            config_.spam.users[address] = t;
        }
    }

    // [{ zone = "zen.spamhaus.org", weight = 5.0 }, ...]
    std::vector<Config::Spam::Zone> get_zones(const toml::node& node, std::string_view key) const {
        if (!node.is_array()) fail(node.source(), fmt::format("{} must be an array of {{ zone = \"...\", weight = N }}", key));
        std::vector<Config::Spam::Zone> out;
        for (const toml::node& item : *node.as_array()) {
            const toml::table& entry = get_table(item, key);
            Config::Spam::Zone zone;
            for (auto&& [k, v] : entry) {
                if (k.str() == "zone") zone.zone = to_lower(get_string(v, "zone"));
                else if (k.str() == "weight") zone.weight = get_double(v, "weight", -1e6, 1e6);
                else fail(k.source(), fmt::format("unknown key '{}' in an entry of {}", k.str(), key));
            }
            if (!is_valid_hostname(zone.zone))
                fail(item.source(), fmt::format("{}: zone '{}' is not a valid DNS name", key, zone.zone));
            out.push_back(zone);
        }
        return out;
    }

    // "http://ip:port"; "" turns it off.
    std::string get_rspamd_url(const toml::node& node, std::string_view key) const {
        std::string url = get_string(node, key);
        if (url.empty()) return url;
        constexpr std::string_view scheme = "http://";
        std::string rest = url.substr(0, scheme.size()) == scheme ? url.substr(scheme.size()) : std::string();
        if (!rest.empty() && rest.back() == '/') rest.pop_back();
        if (rest.empty()) fail(node.source(), fmt::format("{} must look like \"http://127.0.0.1:11333\"", key));
        check_host_port(node, key, rest, true);   // connected to without a DNS lookup
        return url;
    }

    void walk_delivery(const toml::table& table) {
        auto& d = config_.delivery;
        for (auto&& [key, node] : table) {
            std::string_view k = key.str();
            std::string full = fmt::format("delivery.{}", k);
            remember(key, full);
            if (k == "relay") {
                d.relay = get_string(node, full);
                if (!d.relay.empty()) check_host_port(node, full, d.relay, false);
            } else if (k == "dns_servers") {
                if (!node.is_array()) fail(node.source(), "delivery.dns_servers must be an array of \"ip:port\"");
                for (const toml::node& item : *node.as_array()) {
                    std::string server = get_string(item, "each entry of delivery.dns_servers");
                    check_host_port(item, "delivery.dns_servers", server, true);
                    d.dns_servers.push_back(server);
                }
            } else if (k == "smtp_port") {
                d.smtp_port = static_cast<uint16_t>(get_int(node, full, 1, 65535));
            } else if (k == "relay_user") {
                d.relay_user = get_string(node, full);
            } else if (k == "relay_password_file") {
                std::string text = get_string(node, full);
                if (!text.empty()) {
                    d.relay_password_file = get_path(node, full);
                    config_.lines.relay_password_file = key.source().begin.line;
                }
            } else if (k == "max_queue_time") {
                d.max_queue_time = get_duration(node, full);
            } else if (k == "retry_schedule") {
                d.retry_schedule = get_duration_list(node, full);
            } else if (k == "max_connections_per_domain") {
                d.max_connections_per_domain = static_cast<unsigned>(get_int(node, full, 1, 1000));
            } else if (k == "max_connections") {
                d.max_connections = static_cast<unsigned>(get_int(node, full, 1, 100000));
            } else if (k == "smtp_timeout") {
                d.smtp_timeout = get_duration(node, full);
            } else {
                unknown(key, "delivery.");
            }
        }
    }

    // relay and dns_servers: a port is required and 0 makes no sense;
    // DNS servers must be IP addresses (we cannot resolve the resolver).
    void check_host_port(const toml::node& node, std::string_view key, const std::string& text, bool ip_only) const {
        ListenAddress parsed;
        try {
            parsed = parse_listen_address(text);
        } catch (const std::invalid_argument& e) {
            fail(node.source(), fmt::format("{} \"{}\": {}", key, text, e.what()));
        }
        if (parsed.port == 0) fail(node.source(), fmt::format("{} \"{}\": port 0 is not usable", key, text));
        if (ip_only && is_valid_hostname(parsed.host))
            fail(node.source(), fmt::format("{} \"{}\": expected \"ip:port\"", key, text));
    }

    // "1m, 5m, 1h": durations separated by commas, at most 100 of them.
    std::vector<std::chrono::seconds> get_duration_list(const toml::node& node, std::string_view key) const {
        const std::string text = get_string(node, key);
        std::vector<std::chrono::seconds> out;
        size_t start = 0;
        while (start <= text.size()) {
            size_t comma = text.find(',', start);
            if (comma == std::string::npos) comma = text.size();
            std::string_view item(text.data() + start, comma - start);
            while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
            while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
            auto value = parse_duration(item);
            if (!value || value->count() <= 0)
                fail(node.source(), fmt::format("{}: '{}' is not a duration longer than zero", key, item));
            if (out.size() == 100) fail(node.source(), fmt::format("{} has more than 100 entries", key));
            out.push_back(*value);
            start = comma + 1;
        }
        return out;
    }

    std::chrono::seconds get_duration(const toml::node& node, std::string_view key) const {
        std::optional<std::chrono::seconds> value;
        if (node.is_integer()) {
            value = std::chrono::seconds(get_int(node, key, 1, 100ll * 366 * 86400));
        } else if (node.is_string()) {
            value = parse_duration(node.as_string()->get());
            if (!value)
                fail(node.source(), fmt::format("{}: '{}' is not a duration such as \"5d\", \"4h\", \"30m\"", key,
                                                node.as_string()->get()));
        } else {
            fail(node.source(), fmt::format("{} must be a duration string such as \"5d\"", key));
        }
        if (value->count() <= 0) fail(node.source(), fmt::format("{} must be longer than zero", key));
        return *value;
    }

    void check_cross_rules(const toml::table& root) {
        for (const char* required : {"hostname", "data_dir", "domains", "users_file"})
            if (!root.contains(required)) fail(0, fmt::format("missing required key '{}'", required));
        if (config_.dkim.keys_dir.empty()) config_.dkim.keys_dir = config_.data_dir / "dkim";
        apply_acme();

        // Every service offers TLS (implicit, or STARTTLS/STLS), so each needs a certificate.
        const auto& l = config_.listen;
        const std::pair<const char*, const std::optional<ListenAddress>*> services[] = {
            {"smtp", &l.smtp},   {"submission", &l.submission}, {"submissions", &l.submissions},
            {"imap", &l.imap},   {"imaps", &l.imaps},           {"pop3", &l.pop3},
            {"pop3s", &l.pop3s}, {"sieve", &l.sieve},         {"https", &l.https},
        };
        if (config_.tls.cert.empty()) {
            for (const auto& [service, address] : services) {
                if (!address->has_value()) continue;
                std::string full = fmt::format("listen.{}", service);
                fail(line_of(full), fmt::format("{} needs TLS: add a [tls] table with cert and key", full));
            }
        }

        if (!config_.delivery.relay_user.empty() && config_.delivery.relay_password_file.empty())
            fail(line_of("delivery.relay_user"), "delivery.relay_user needs delivery.relay_password_file");

        if (config_.srs.domain.empty()) config_.srs.domain = config_.domains.front();
        if (config_.srs.secret_file.empty()) config_.srs.secret_file = config_.data_dir / "srs_secret";
    }
};

}  // namespace

bool Config::is_local_domain(std::string_view domain) const {
    for (const auto& d : domains)
        if (iequals(d, domain)) return true;
    return false;
}

Config load_config(const std::filesystem::path& file) {
    return Loader(file).run();
}

}  // namespace pochta
