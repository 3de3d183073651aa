// Addresses as SPF sees them (README.md "SPF"): the client's address, the
// networks of ip4/ip6 mechanisms, and the two textual forms macros use.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pochta::mailauth {

struct IpAddress {
    bool v6 = false;
    std::array<uint8_t, 16> bytes{};   // IPv4 uses the first 4
};

// Dotted quad as RFC 7208 section 5.6 spells it (no leading zeros, no
// shortened forms).
std::optional<IpAddress> parse_ipv4(std::string_view text);
std::optional<IpAddress> parse_ipv6(std::string_view text);
// The SMTP client's address, either family. An IPv4-mapped IPv6 address
// (::ffff:192.0.2.1) is the IPv4 client it stands for (RFC 7208 section 5).
std::optional<IpAddress> parse_client_ip(std::string_view text);

// Whether the first `prefix` bits of `ip` and `network` agree; addresses of
// different families never match.
bool in_network(const IpAddress& ip, const IpAddress& network, unsigned prefix);

// The %{i} form: dotted quad, or 32 dot-separated hex nibbles for IPv6.
std::string ip_dotted(const IpAddress& ip);
// The %{c} form: dotted quad, or the RFC 5952 text for IPv6.
std::string ip_text(const IpAddress& ip);

}  // namespace pochta::mailauth
