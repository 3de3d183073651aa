// SASL PLAIN (RFC 4616: "authzid NUL authcid NUL passwd", base64-encoded)
// and LOGIN (draft-murchison-sasl-login: a "Username:" then a "Password:"
// prompt, one base64 response each).
#include "common/auth/sasl.hpp"

#include <utility>

#include "common/util/strings.hpp"

namespace pochta::auth {

namespace {

// The longest base64 text that can decode to sasl_max_decoded octets;
// checked before decoding so a huge line costs nothing.
constexpr size_t max_encoded = (sasl_max_decoded + 2) / 3 * 4;

constexpr std::string_view username_prompt = "VXNlcm5hbWU6";  // "Username:"
constexpr std::string_view password_prompt = "UGFzc3dvcmQ6";  // "Password:"

// The decoded PLAIN message split at its two NULs.
std::optional<Credentials> split_plain(std::string_view message) {
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

// One response's octets, or why there are none. `bad` is the failure for
// text that is not base64 (PLAIN reports the message as a whole).
std::variant<std::string, SaslFailure> decode_response(std::string_view response, SaslFailure bad) {
    if (response.size() > max_encoded) return SaslFailure::too_long;
    auto decoded = base64_decode(response);
    if (!decoded) return bad;
    if (decoded->size() > sasl_max_decoded) return SaslFailure::too_long;
    return std::move(*decoded);
}

SaslStep plain_outcome(std::string_view response) {
    auto decoded = decode_response(response, SaslFailure::bad_plain);
    if (auto* failure = std::get_if<SaslFailure>(&decoded)) return *failure;
    auto credentials = split_plain(std::get<std::string>(decoded));
    if (!credentials) return SaslFailure::bad_plain;
    // Acting for another user (RFC 4616 section 2) is not offered; the same
    // name in another case is the same user.
    if (!credentials->authzid.empty() && !iequals(credentials->authzid, credentials->username))
        return SaslFailure::authzid_mismatch;
    return std::move(*credentials);
}

}  // namespace

std::optional<Credentials> decode_sasl_plain(std::string_view base64) {
    auto decoded = decode_response(base64, SaslFailure::bad_plain);
    if (auto* message = std::get_if<std::string>(&decoded)) return split_plain(*message);
    return std::nullopt;
}

SaslExchange::SaslExchange(std::string_view mechanism) {
    if (iequals(mechanism, "PLAIN")) stage_ = Stage::plain_response;
    else if (iequals(mechanism, "LOGIN")) stage_ = Stage::login_username;
    else unknown_mechanism_ = true;
}

SaslStep SaslExchange::start(std::string_view initial_response) {
    return initial_response.empty() ? begin() : step(initial_response);
}

SaslStep SaslExchange::begin() const {
    switch (stage_) {
        case Stage::plain_response: return SaslChallenge{};  // PLAIN's prompt is empty
        case Stage::login_username: return SaslChallenge{std::string(username_prompt)};
        case Stage::login_password: return SaslChallenge{std::string(password_prompt)};
        default: return unknown_mechanism_ ? SaslFailure::unknown_mechanism : SaslFailure::out_of_turn;
    }
}

SaslStep SaslExchange::step(std::string_view response) {
    if (stage_ == Stage::finished) return begin();  // unknown_mechanism or out_of_turn
    if (response == "*") return finish(SaslFailure::cancelled);
    // "=" is the empty response. RFC 4954, 5034 and 4959 define it for the
    // initial response only; it is taken on any line, as it always was, since
    // a lone "=" has no other meaning.
    if (response == "=") response = {};
    if (stage_ == Stage::plain_response) return finish(plain_outcome(response));
    auto decoded = decode_response(response, SaslFailure::malformed_base64);
    if (auto* failure = std::get_if<SaslFailure>(&decoded)) return finish(*failure);
    if (stage_ == Stage::login_username) {
        login_username_ = std::move(std::get<std::string>(decoded));
        stage_ = Stage::login_password;
        return SaslChallenge{std::string(password_prompt)};
    }
    Credentials credentials;
    credentials.username = std::exchange(login_username_, {});
    credentials.password = std::move(std::get<std::string>(decoded));
    return finish(std::move(credentials));
}

SaslStep SaslExchange::finish(SaslStep outcome) {
    stage_ = Stage::finished;
    login_username_.clear();
    return outcome;
}

}  // namespace pochta::auth
