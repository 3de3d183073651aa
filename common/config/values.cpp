// Parsers for the small value syntaxes of the configuration file: host
// names, "host:port" and durations. Each is bounded and rejects anything it
// does not fully understand.
#include <arpa/inet.h>

#include <stdexcept>

#include "common/config/config.hpp"
#include "common/util/strings.hpp"

namespace pochta {

namespace {

bool is_ipv4(const std::string& text) {
    in_addr addr{};
    return inet_pton(AF_INET, text.c_str(), &addr) == 1;
}

bool is_ipv6(const std::string& text) {
    in6_addr addr{};
    return inet_pton(AF_INET6, text.c_str(), &addr) == 1;
}

bool is_label_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}

bool all_digits(std::string_view s) {
    for (char c : s)
        if (c < '0' || c > '9') return false;
    return true;
}

}  // namespace

bool is_valid_hostname(std::string_view name) {
    if (name.empty() || name.size() > 253) return false;
    std::string_view last;
    for (std::string_view label : split(name, '.')) {
        if (label.empty() || label.size() > 63) return false;
        if (label.front() == '-' || label.back() == '-') return false;
        for (char c : label)
            if (!is_label_char(c)) return false;
        last = label;
    }
    // A numeric last label would make "10.0.0" look like a name; no TLD is numeric.
    return !all_digits(last);
}

ListenAddress parse_listen_address(const std::string& text) {
    if (text.empty()) throw std::invalid_argument("empty address, expected \"host:port\"");
    if (text.size() > 300) throw std::invalid_argument("address too long");
    ListenAddress out;
    out.text = text;
    std::string port_text;
    if (text.front() == '[') {
        size_t close = text.find(']');
        if (close == std::string::npos) throw std::invalid_argument("missing ']' after the IPv6 address");
        out.host = text.substr(1, close - 1);
        if (!is_ipv6(out.host)) throw std::invalid_argument("'" + out.host + "' is not an IPv6 address");
        if (close + 1 >= text.size() || text[close + 1] != ':')
            throw std::invalid_argument("expected \"[address]:port\"");
        port_text = text.substr(close + 2);
    } else {
        size_t colon = text.rfind(':');
        if (colon == std::string::npos) throw std::invalid_argument("missing ':port', expected \"host:port\"");
        out.host = text.substr(0, colon);
        port_text = text.substr(colon + 1);
        if (out.host.find(':') != std::string::npos)
            throw std::invalid_argument("an IPv6 address needs brackets, as in \"[::1]:143\"");
        if (out.host.empty()) throw std::invalid_argument("empty host, expected \"host:port\"");
        if (!is_ipv4(out.host) && !is_valid_hostname(out.host))
            throw std::invalid_argument("'" + out.host + "' is neither an IP address nor a host name");
    }
    auto port = parse_uint(port_text);
    if (!port) throw std::invalid_argument("port '" + port_text + "' is not a number");
    if (*port > 65535) throw std::invalid_argument("port " + port_text + " is out of range 0..65535");
    out.port = static_cast<uint16_t>(*port);
    return out;
}

bool is_valid_network(std::string_view text) {
    size_t slash = text.find('/');
    std::string ip(text.substr(0, slash));
    unsigned max_prefix = is_ipv4(ip) ? 32 : is_ipv6(ip) ? 128 : 0;
    if (max_prefix == 0) return false;
    if (slash == std::string_view::npos) return true;
    auto prefix = parse_uint(text.substr(slash + 1));
    return prefix && *prefix <= max_prefix;
}

std::optional<std::chrono::seconds> parse_duration(std::string_view text) {
    constexpr uint64_t limit = 100ull * 366 * 24 * 3600;
    text = trim(text);
    if (text.empty() || text.size() > 64) return std::nullopt;
    if (auto plain = parse_uint(text)) {
        if (*plain > limit) return std::nullopt;
        return std::chrono::seconds(static_cast<int64_t>(*plain));
    }
    uint64_t total = 0;
    size_t pos = 0;
    while (pos < text.size()) {
        size_t start = pos;
        while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') pos++;
        if (pos == start || pos == text.size()) return std::nullopt;  // a number, then a unit
        auto number = parse_uint(text.substr(start, pos - start));
        if (!number || *number > limit) return std::nullopt;
        uint64_t unit = 0;
        switch (text[pos]) {
            case 's': unit = 1; break;
            case 'm': unit = 60; break;
            case 'h': unit = 3600; break;
            case 'd': unit = 86400; break;
            case 'w': unit = 7 * 86400; break;
            default: return std::nullopt;
        }
        pos++;
        total += *number * unit;  // each term <= limit * 604800 < 2^64 / 2, so no wrap
        if (total > limit) return std::nullopt;
    }
    return std::chrono::seconds(static_cast<int64_t>(total));
}

}  // namespace pochta
