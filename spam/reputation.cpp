// Points from the sender's history (README.md, "Spam"). The address says
// most, a verified domain less, the network least: many senders share one.
#include "spam/reputation.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <cstring>

#include "common/util/strings.hpp"

namespace pochta::spam {

namespace {

struct Weights {
    double trusted;   // the user wrote to it (address only)
    double good;      // more kept than junked
    double bad;       // more junked than kept
};

Weights weights_of(std::string_view kind) {
    if (kind == "address") return {-10, -4, 5};
    if (kind == "domain") return {0, -2, 3};
    return {0, -1, 2};
}

std::string upper(std::string_view s) {
    std::string out;
    for (char c : s) out.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
    return out;
}

}  // namespace

bool SenderFacts::address_verified() const {
    size_t at = address.rfind('@');
    if (at == std::string::npos) return false;
    std::string_view domain = std::string_view(address).substr(at + 1);
    for (const auto& verified : verified_domains)
        if (iequals(verified, domain)) return true;
    return false;
}

std::string network_of(std::string_view ip) {
    std::string text(ip);
    in_addr v4{};
    in6_addr v6{};
    if (inet_pton(AF_INET, text.c_str(), &v4) == 1) {
        const auto* b = reinterpret_cast<const unsigned char*>(&v4.s_addr);
        return fmt::format("{}.{}.{}.0/24", b[0], b[1], b[2]);
    }
    if (inet_pton(AF_INET6, text.c_str(), &v6) != 1) return "";
    std::memset(v6.s6_addr + 8, 0, 8);
    char buf[INET6_ADDRSTRLEN];
    inet_ntop(AF_INET6, &v6, buf, sizeof buf);
    return std::string(buf) + "/64";
}

std::vector<store::SenderKey> sender_keys(const SenderFacts& facts) {
    std::vector<store::SenderKey> keys;
    if (!facts.address.empty()) keys.push_back({"address", to_lower(facts.address)});
    for (const auto& domain : facts.verified_domains) {
        store::SenderKey key{"domain", to_lower(domain)};
        bool seen = false;
        for (const auto& k : keys) seen = seen || k == key;
        if (!seen) keys.push_back(key);
    }
    std::string network = network_of(facts.client_ip);
    if (!network.empty()) keys.push_back({"network", network});
    return keys;
}

std::vector<Signal> reputation_signals(const SenderFacts& facts, const std::vector<store::SenderHistory>& history) {
    std::vector<Signal> out;
    for (const auto& h : history) {
        const Weights w = weights_of(h.key.kind);
        const bool believed = h.key.kind != "address" || facts.address_verified();
        const std::string name = "SENDER_" + upper(h.key.kind);
        if (h.sent > 0 && believed && w.trusted != 0)
            out.push_back({name + "_WRITTEN_TO", h.key.value, w.trusted});
        else if (h.good > h.bad && believed)
            out.push_back({name + "_KEPT", fmt::format("{}:{}/{}", h.key.value, h.good, h.bad), w.good});
        else if (h.bad > h.good)
            out.push_back({name + "_JUNKED", fmt::format("{}:{}/{}", h.key.value, h.bad, h.good), w.bad});
    }
    return out;
}

}  // namespace pochta::spam
