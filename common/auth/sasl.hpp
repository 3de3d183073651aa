// SASL PLAIN (RFC 4616) and LOGIN, the exchange shared by SMTP AUTH
// (RFC 4954), POP3 AUTH (RFC 5034) and IMAP AUTHENTICATE (RFC 9051, SASL-IR
// RFC 4959). The protocols keep only their wire framing and reply codes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace pochta::auth {

struct Credentials {
    std::string authzid;   // empty, or equal to the username (any other is refused)
    std::string username;
    std::string password;
};

// Decodes the base64 PLAIN message "authzid NUL authcid NUL passwd".
// nullopt on bad base64 or a malformed message.
std::optional<Credentials> decode_sasl_plain(std::string_view base64);

// Send this base64 text to the client ("334 " in SMTP, "+ " in IMAP and POP3).
struct SaslChallenge {
    std::string base64;
};

// Why an exchange ended without credentials.
enum class SaslFailure {
    unknown_mechanism,   // neither PLAIN nor LOGIN
    cancelled,           // the client sent "*"
    malformed_base64,    // a LOGIN response that is not base64
    too_long,            // a response longer than sasl_max_decoded octets once decoded
    bad_plain,           // a PLAIN response that is not base64 of authzid NUL authcid NUL passwd
    authzid_mismatch,    // PLAIN asked to act as someone else: not offered
    out_of_turn,         // a response when the exchange is already over
};

// What the protocol does next: send a challenge, refuse, or check the password.
using SaslStep = std::variant<SaslChallenge, SaslFailure, Credentials>;

// A response over this (once decoded) is refused; RFC 4616 asks servers
// to take 255 octets per field, so three fields fit with room to spare.
inline constexpr size_t sasl_max_decoded = 1024;

// One server-side exchange, from the AUTH command to its outcome: start()
// with the command, then step() with each response line while the last
// step was a challenge.
class SaslExchange {
public:
    // The name is matched without regard to case.
    explicit SaslExchange(std::string_view mechanism);

    // The first step, for the command itself. A client may send the first
    // response with it (RFC 4954 section 4, RFC 5034 section 4, RFC 4959);
    // empty means it did not ("=" is the empty response), and gets begin().
    SaslStep start(std::string_view initial_response);

    // The challenge for the response the exchange waits for (at the start,
    // the mechanism's first prompt); SaslFailure::unknown_mechanism for a
    // mechanism not offered, out_of_turn once the exchange is over.
    SaslStep begin() const;
    // One client response line, without its line ending.
    SaslStep step(std::string_view response);

private:
    enum class Stage : uint8_t { plain_response, login_username, login_password, finished };

    SaslStep finish(SaslStep outcome);

    Stage stage_ = Stage::finished;
    bool unknown_mechanism_ = false;
    std::string login_username_;
};

}  // namespace pochta::auth
