// Internal to common/net: IP literals <-> sockaddr.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <string>

namespace pochta::net::detail {

// Fills `out` from an IPv4 or IPv6 literal (no brackets, no host names).
// Returns false when `ip` is not such a literal.
bool make_sockaddr(const std::string& ip, uint16_t port, sockaddr_storage& out);

// The textual address and port; an IPv4-mapped IPv6 address (a dual-stack
// listener's view of an IPv4 client) is shown as plain IPv4, so that
// per-IP limits and logs see one form per client.
void describe_sockaddr(const sockaddr_storage& addr, std::string& ip, uint16_t& port);

// "1.2.3.4:25" or "[::1]:25".
std::string host_port(const std::string& ip, uint16_t port);

}  // namespace pochta::net::detail
