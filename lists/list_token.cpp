#include "lists/list_token.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <fmt/format.h>

namespace pochta::lists {

namespace {

constexpr size_t mac_digits = 20;
constexpr size_t member_mac_digits = 32;

constexpr std::string_view hex_digits = "0123456789abcdef";

std::string hmac_hex(std::string_view secret, std::string_view text, size_t digits) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
         reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest, &length);
    std::string hex;
    for (unsigned i = 0; i < length && hex.size() < digits; ++i) hex += fmt::format("{:02x}", digest[i]);
    return hex;
}

std::string mac_of(std::string_view secret, std::string_view purpose, int64_t id) {
    return hmac_hex(secret, fmt::format("{}:{}", purpose, id), mac_digits);
}

std::string member_mac(std::string_view secret, std::string_view names) {
    return hmac_hex(secret, fmt::format("unsubscribe:{}", names), member_mac_digits);
}

bool same_mac(std::string_view given, const std::string& expected) {
    return given.size() == expected.size() && CRYPTO_memcmp(given.data(), expected.data(), expected.size()) == 0;
}

std::optional<std::string> token_hex_decode(std::string_view hex) {
    if (hex.size() % 2 != 0) return std::nullopt;
    std::string out;
    for (size_t i = 0; i < hex.size(); i += 2) {
        const size_t high = hex_digits.find(hex[i]), low = hex_digits.find(hex[i + 1]);
        if (high == std::string_view::npos || low == std::string_view::npos) return std::nullopt;
        out.push_back(static_cast<char>(high * 16 + low));
    }
    return out;
}

}  // namespace

std::string make_token(std::string_view secret, std::string_view purpose, int64_t id) {
    return fmt::format("{}.{}", id, mac_of(secret, purpose, id));
}

std::optional<int64_t> check_token(std::string_view secret, std::string_view purpose, std::string_view token) {
    if (token.size() > max_id_token) return std::nullopt;
    auto dot = token.find('.');
    if (dot == std::string_view::npos || dot == 0 || dot > 18) return std::nullopt;
    int64_t id = 0;
    for (char c : token.substr(0, dot)) {
        if (c < '0' || c > '9') return std::nullopt;
        id = id * 10 + (c - '0');
    }
    if (!same_mac(token.substr(dot + 1), mac_of(secret, purpose, id))) return std::nullopt;
    return id;
}

std::string make_member_token(std::string_view secret, std::string_view list, std::string_view member) {
    const std::string names = fmt::format("{}\n{}", list, member);
    std::string hex;
    for (unsigned char c : names) {
        hex.push_back(hex_digits[c >> 4]);
        hex.push_back(hex_digits[c & 15]);
    }
    return fmt::format("{}.{}", hex, member_mac(secret, names));
}

std::optional<MemberToken> check_member_token(std::string_view secret, std::string_view token) {
    if (token.size() > max_member_token) return std::nullopt;
    const size_t dot = token.find('.');
    if (dot == std::string_view::npos) return std::nullopt;
    auto names = token_hex_decode(token.substr(0, dot));
    if (!names || !same_mac(token.substr(dot + 1), member_mac(secret, *names))) return std::nullopt;
    const size_t newline = names->find('\n');
    if (newline == std::string::npos) return std::nullopt;
    return MemberToken{names->substr(0, newline), names->substr(newline + 1)};
}

}  // namespace pochta::lists
