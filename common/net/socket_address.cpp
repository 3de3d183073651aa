#include "common/net/socket_address.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>

namespace pochta::net::detail {

bool make_sockaddr(const std::string& ip, uint16_t port, sockaddr_storage& out) {
    std::memset(&out, 0, sizeof out);
    auto* v4 = reinterpret_cast<sockaddr_in*>(&out);
    if (inet_pton(AF_INET, ip.c_str(), &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(port);
        return true;
    }
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&out);
    if (inet_pton(AF_INET6, ip.c_str(), &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(port);
        return true;
    }
    return false;
}

void describe_sockaddr(const sockaddr_storage& addr, std::string& ip, uint16_t& port) {
    char text[INET6_ADDRSTRLEN] = {0};
    ip.clear();
    port = 0;
    if (addr.ss_family == AF_INET) {
        const auto* v4 = reinterpret_cast<const sockaddr_in*>(&addr);
        if (inet_ntop(AF_INET, &v4->sin_addr, text, sizeof text)) ip = text;
        port = ntohs(v4->sin_port);
    } else if (addr.ss_family == AF_INET6) {
        const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&addr);
        port = ntohs(v6->sin6_port);
        if (IN6_IS_ADDR_V4MAPPED(&v6->sin6_addr)) {
            if (inet_ntop(AF_INET, &v6->sin6_addr.s6_addr[12], text, sizeof text)) ip = text;
        } else if (inet_ntop(AF_INET6, &v6->sin6_addr, text, sizeof text)) {
            ip = text;
        }
    }
}

std::string host_port(const std::string& ip, uint16_t port) {
    if (ip.find(':') != std::string::npos) return "[" + ip + "]:" + std::to_string(port);
    return ip + ":" + std::to_string(port);
}

}  // namespace pochta::net::detail
