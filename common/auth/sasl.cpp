// SASL PLAIN (RFC 4616): "authzid NUL authcid NUL passwd", base64-encoded.
#include "common/auth/sasl.hpp"

#include "common/util/strings.hpp"

namespace pochta::auth {

namespace {
constexpr size_t max_decoded_bytes = 1024;
}

std::optional<Credentials> decode_sasl_plain(std::string_view base64) {
    // Check the size before decoding so a huge line costs nothing.
    if (base64.size() > (max_decoded_bytes + 2) / 3 * 4) return std::nullopt;
    auto decoded = base64_decode(base64);
    if (!decoded || decoded->size() > max_decoded_bytes) return std::nullopt;
    std::string_view message = *decoded;
    size_t first = message.find('\0');
    if (first == std::string_view::npos) return std::nullopt;
    size_t second = message.find('\0', first + 1);
    if (second == std::string_view::npos) return std::nullopt;
    Credentials c;
    c.authzid = message.substr(0, first);
    c.username = message.substr(first + 1, second - first - 1);
    c.password = message.substr(second + 1);
    // RFC 4616: authcid and passwd are 1*SAFE; SAFE excludes NUL.
    if (c.username.empty() || c.password.empty()) return std::nullopt;
    if (c.password.find('\0') != std::string::npos) return std::nullopt;
    return c;
}

}  // namespace pochta::auth
