#include "mailauth/spf_ip.hpp"

#include <arpa/inet.h>

#include "common/util/strings.hpp"

namespace pochta::mailauth {

namespace {

// qnum of RFC 7208 section 5.6: 0-255 without leading zeros.
std::optional<uint8_t> parse_qnum(std::string_view part) {
    if (part.empty() || part.size() > 3 || (part.size() > 1 && part.front() == '0')) return std::nullopt;
    auto value = parse_uint(part);
    if (!value || *value > 255) return std::nullopt;
    return static_cast<uint8_t>(*value);
}

bool is_ipv4_mapped(const IpAddress& ip) {
    for (int i = 0; i < 10; ++i)
        if (ip.bytes[i] != 0) return false;
    return ip.bytes[10] == 0xff && ip.bytes[11] == 0xff;
}

}  // namespace

std::optional<IpAddress> parse_ipv4(std::string_view text) {
    auto parts = split(text, '.');
    if (parts.size() != 4) return std::nullopt;
    IpAddress ip;
    for (size_t i = 0; i < 4; ++i) {
        auto byte = parse_qnum(parts[i]);
        if (!byte) return std::nullopt;
        ip.bytes[i] = *byte;
    }
    return ip;
}

std::optional<IpAddress> parse_ipv6(std::string_view text) {
    if (text.size() > INET6_ADDRSTRLEN) return std::nullopt;
    IpAddress ip;
    ip.v6 = true;
    if (inet_pton(AF_INET6, std::string(text).c_str(), ip.bytes.data()) != 1) return std::nullopt;
    return ip;
}

std::optional<IpAddress> parse_client_ip(std::string_view text) {
    if (text.find(':') == std::string_view::npos) return parse_ipv4(text);
    auto ip = parse_ipv6(text);
    if (ip && is_ipv4_mapped(*ip)) {
        IpAddress v4;
        for (int i = 0; i < 4; ++i) v4.bytes[i] = ip->bytes[12 + i];
        return v4;
    }
    return ip;
}

bool in_network(const IpAddress& ip, const IpAddress& network, unsigned prefix) {
    if (ip.v6 != network.v6) return false;
    const unsigned bits = ip.v6 ? 128 : 32;
    if (prefix > bits) prefix = bits;
    unsigned whole = prefix / 8;
    for (unsigned i = 0; i < whole; ++i)
        if (ip.bytes[i] != network.bytes[i]) return false;
    unsigned rest = prefix % 8;
    if (rest == 0) return true;
    uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
    return (ip.bytes[whole] & mask) == (network.bytes[whole] & mask);
}

std::string ip_dotted(const IpAddress& ip) {
    if (!ip.v6) return ip_text(ip);
    static const char hex[] = "0123456789abcdef";
    std::string out;
    for (uint8_t byte : ip.bytes) {
        if (!out.empty()) out += '.';
        out += hex[byte >> 4];
        out += '.';
        out += hex[byte & 0xf];
    }
    return out;
}

std::string ip_text(const IpAddress& ip) {
    char buffer[INET6_ADDRSTRLEN];
    inet_ntop(ip.v6 ? AF_INET6 : AF_INET, ip.bytes.data(), buffer, sizeof buffer);
    return buffer;
}

}  // namespace pochta::mailauth
