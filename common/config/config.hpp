// The configuration file (TOML), every key README.md's configuration
// reference documents. Loading validates everything; errors read
// "FILE:LINE: reason".
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace pochta {

// Thrown for every configuration problem; what() is "FILE:LINE: reason"
// (or "FILE: reason" when no line applies).
class ConfigError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct ListenAddress {
    std::string host;   // "0.0.0.0", "::1" (without brackets)
    uint16_t port = 0;
    std::string text;   // as written in the file, for logs
};

struct Config {
    std::filesystem::path file;          // the configuration file as given
    std::string hostname;
    std::filesystem::path data_dir;      // absolute or relative to the config's folder, resolved
    std::vector<std::string> domains;    // lowercased
    std::filesystem::path users_file;    // resolved
    std::optional<std::filesystem::path> aliases_file;  // resolved
    std::string run_as;                  // "" = stay as started
    // The server's public IPv4/IPv6 addresses, for `pochta dns` and
    // `pochta doctor`; empty = the global addresses of its interfaces.
    std::vector<std::string> public_addresses;

    struct Tls {
        std::filesystem::path cert;      // resolved; empty when [tls] is absent
        std::filesystem::path key;
        bool tls13_only = false;         // min_version = "1.3" (default "1.2")
        std::string ciphers;             // the TLS 1.2 cipher list; "" = the built-in ECDHE+AEAD list
    } tls;

    // README.md, "ACME certificates": on when `directory` is set; the
    // certificate and key then live under data_dir/acme/ (tls.cert, tls.key).
    struct Acme {
        std::string directory;                  // the ACME directory URL (https)
        std::vector<std::string> contact;       // "mailto:..." URLs
        // Default: hostname, then autoconfig.D and mta-sts.D for each domain.
        std::vector<std::string> names;
        bool http_01 = false;                   // challenge = "http-01" (default "tls-alpn-01")
        std::filesystem::path ca_file;          // resolved; empty = the system CAs
    } acme;

    struct Listen {
        std::optional<ListenAddress> smtp, submission, submissions, imap, imaps, pop3, pop3s, sieve;
        std::optional<ListenAddress> http, https, metrics;
    } listen;

    struct Limits {
        uint64_t max_message_size = 26214400;
        unsigned max_recipients = 1000;            // per SMTP transaction
        unsigned max_connections = 10000;          // in total over all listeners
        unsigned max_connections_per_ip = 50;      // not yet authenticated, per client IP address
        unsigned max_connections_per_user_ip = 20; // authenticated, per user and client IP address
        std::chrono::seconds preauth_idle_timeout{60};  // idle limit before login
    } limits;

    struct Delivery {
        std::string relay;                         // "host:port" or ""
        std::vector<std::string> dns_servers;      // "ip:port"
        uint16_t smtp_port = 25;
        std::string relay_user;
        std::filesystem::path relay_password_file; // resolved; empty = none
        std::chrono::seconds max_queue_time{5 * 24 * 3600};
        // Delays before the 1st, 2nd, ... retry; the last one repeats.
        // Empty = the built-in schedule (5m, 10m, 20m, 40m, 80m, then 2h).
        std::vector<std::chrono::seconds> retry_schedule;
        unsigned max_connections_per_domain = 5;   // per destination (domain or relay)
        unsigned max_connections = 100;            // outbound, in total
        // Upper bound for every wait of the SMTP client (connect, greeting,
        // each reply); the RFC 5321 timeouts apply when they are shorter.
        std::chrono::seconds smtp_timeout{600};
    } delivery;

    // Logins under attack (README.md): the hash pool and the throttle.
    struct Auth {
        unsigned hash_threads = 2;                 // threads verifying password hashes
        unsigned hash_queue = 1000;                // checks waiting, over all clients
        unsigned hash_per_address = 2;             // checks of one client address running at once
        std::chrono::seconds max_delay{15};        // the longest wait before a login's answer
        unsigned account_delay_after = 5;          // failures on one account before its logins wait
        unsigned ban_after = 20;                   // failures from one address before it is banned
        std::chrono::seconds ban_time{15 * 60};
    } auth;

    // Checks on arrival on the MX listener (README.md, "Checks on arrival").
    struct Checks {
        bool enabled = true;          // SPF, DKIM, DMARC and the Authentication-Results field
        std::string authserv_id;      // "" = hostname
        bool dmarc_reject = true;     // p=reject failures refused (false: filed in Junk)
        bool dmarc_quarantine = true; // p=quarantine failures filed in Junk (false: INBOX)
        bool spf_reject = false;      // an SPF fail alone refuses the message
        bool local_from = true;       // outside mail with a local From domain must pass DMARC
        const std::string& authserv(const std::string& hostname) const {
            return authserv_id.empty() ? hostname : authserv_id;
        }
    } checks;
    // Forwarding with SRS (README.md, "Forwarding with SRS").
    struct Srs {
        bool enabled = true;
        std::string domain;                        // lowercased; defaults to the first of domains
        std::filesystem::path secret_file;         // resolved; defaults to data_dir/srs_secret
        unsigned max_age_days = 21;                // how long a bounce may take to come back
    } srs;

    // DKIM signing (README.md "DKIM signing").
    struct Dkim {
        std::filesystem::path keys_dir;            // resolved; default DATA_DIR/dkim
    } dkim;
    // Keeping spam out (README.md, "Spam").
    struct Spam {
        struct Zone {
            std::string zone;      // "zen.spamhaus.org"
            double weight = 5.0;   // points a listing adds to the score
        };
        // Thresholds of one user, overriding the server's.
        struct Thresholds {
            double junk_score = 5.0;
            double reject_score = 15.0;
        };
        bool enabled = true;                      // the verdict on the MX listener
        Thresholds thresholds;                    // the server's
        std::map<std::string, Thresholds> users;  // by canonical address (lowercase)
        std::vector<Zone> dnsbl;                  // client IP blocklists
        std::vector<Zone> domain_blocklists;      // sender and DKIM domain blocklists
        double bayes_weight = 8.0;                // points at spam probability 1 (minus at 0)
        unsigned bayes_min_messages = 10;         // trained messages before the classifier counts
        bool reputation = true;                   // sender history per account
        bool greylist = false;
        std::chrono::seconds greylist_delay{300};
        std::string rspamd;                       // "http://host:port", "" = off
        std::chrono::seconds rspamd_timeout{10};
        unsigned outbound_messages_per_hour = 500;     // per authenticated user
        unsigned outbound_recipients_per_hour = 2000;  // per authenticated user
        const Thresholds& thresholds_for(const std::string& user) const {
            auto it = users.find(user);
            return it == users.end() ? thresholds : it->second;
        }
    } spam;

    // QUOTA (README.md, "IMAP": QUOTA): every user's limits unless the users
    // file gives its own; 0 is no limit. A warning message goes to the
    // user when the usage reaches warning_percent of a limit (0: never).
    struct Quota {
        uint64_t storage = 0;   // octets
        uint64_t messages = 0;
        unsigned warning_percent = 90;
    } quota;

    // Users' Sieve scripts (README.md, "ManageSieve"): quotas per user.
    struct Sieve {
        unsigned max_scripts = 20;
        uint64_t max_script_size = 65536;          // octets; at most the parser's 1 MiB
        // Delivery (README.md, "Sieve at delivery"): the admin's scripts run
        // before and after each user's, and where include :global looks.
        std::vector<std::filesystem::path> before, after;
        std::filesystem::path global_dir;          // empty: include :global finds nothing
        // The bounds of a vacation action's :days/:seconds (README.md "Vacation and forwarding").
        std::chrono::seconds vacation_min_period{24 * 3600};
        std::chrono::seconds vacation_max_period{60 * 24 * 3600};
    } sieve;

    // The HTTP listeners (README.md, "Autoconfig, MTA-STS and metrics").
    struct Http {
        // "192.0.2.0/24", "2001:db8::/32" or one address: clients that may
        // read /metrics on the http and https listeners.
        std::vector<std::string> metrics_networks;
    } http;
    // The MTA-STS policy served to mta-sts.DOMAIN (RFC 8461).
    struct MtaSts {
        std::string mode = "testing";              // "none", "testing" or "enforce"
        std::chrono::seconds max_age{7 * 86400};
        std::vector<std::string> mx;               // MX patterns; empty = hostname
    } mta_sts;
    // The full-text index SEARCH uses (README.md, "Full-text search").
    struct Search {
        bool index = true;
        uint64_t max_indexed_size = 10485760;  // octets; larger messages are searched by scanning
    } search;

    // Where some keys were written, so check_config_files() can point at
    // the line that names a missing file. 0 = not given.
    struct SourceLines {
        unsigned tls_cert = 0, tls_key = 0, relay_password_file = 0;
    } lines;

    bool is_local_domain(std::string_view domain) const;  // case-insensitive
};

// Reads and validates the file. Throws ConfigError.
Config load_config(const std::filesystem::path& file);

// For `check-config`: the files the configuration names besides the users
// and aliases files (TLS certificate and key, relay password file) exist and
// are readable. Throws ConfigError "FILE:LINE: reason".
void check_config_files(const Config& config);

// For `check-config` and `serve`: one warning per secret file (the users
// file, delivery.relay_password_file) others may read, or a group other
// than run_as's group.
std::vector<std::string> secret_file_warnings(const Config& config);

// A DNS host name: dot-separated labels of letters, digits and '-', 1..63
// octets each, 253 in total, no trailing dot, not all-numeric at the end.
bool is_valid_hostname(std::string_view name);

// Parses "host:port" / "[v6]:port" (host: an IP address or a host name;
// port 0..65535). Throws std::invalid_argument with a reason.
ListenAddress parse_listen_address(const std::string& text);

// "192.0.2.0/24", "2001:db8::/32" or a single IPv4 or IPv6 address.
bool is_valid_network(std::string_view text);

// Parses a duration such as "5d", "4h", "30m", "90s", "1w", a sequence such as
// "1d12h", or a plain number of seconds. nullopt on bad syntax or above 100 years.
std::optional<std::chrono::seconds> parse_duration(std::string_view text);

}  // namespace pochta
