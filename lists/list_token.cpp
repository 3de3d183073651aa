#include "lists/list_token.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <fmt/format.h>

namespace pochta::lists {

namespace {

constexpr size_t mac_digits = 20;
constexpr size_t max_token = 40;

std::string mac_of(std::string_view secret, std::string_view purpose, int64_t id) {
    const std::string text = fmt::format("{}:{}", purpose, id);
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
         reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest, &length);
    std::string hex;
    for (unsigned i = 0; i < length && hex.size() < mac_digits; ++i) hex += fmt::format("{:02x}", digest[i]);
    return hex;
}

}  // namespace

std::string make_token(std::string_view secret, std::string_view purpose, int64_t id) {
    return fmt::format("{}.{}", id, mac_of(secret, purpose, id));
}

std::optional<int64_t> check_token(std::string_view secret, std::string_view purpose, std::string_view token) {
    if (token.size() > max_token) return std::nullopt;
    auto dot = token.find('.');
    if (dot == std::string_view::npos || dot == 0 || dot > 18) return std::nullopt;
    int64_t id = 0;
    for (char c : token.substr(0, dot)) {
        if (c < '0' || c > '9') return std::nullopt;
        id = id * 10 + (c - '0');
    }
    const std::string expected = mac_of(secret, purpose, id);
    const std::string_view given = token.substr(dot + 1);
    if (given.size() != expected.size() || CRYPTO_memcmp(given.data(), expected.data(), expected.size()) != 0)
        return std::nullopt;
    return id;
}

}  // namespace pochta::lists
