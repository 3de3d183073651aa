// The POP3 command parser (RFC 1939, 2449, 2595, 5034): one line in
// (without its CRLF), one Command out. Pure and bounded; whether a command
// is allowed in the session's state is the session's business.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pochta::pop3 {

enum class Verb {
    unknown, user, pass, apop, stat, list, retr, dele, noop, rset, quit, top, uidl, capa, stls, auth,
};

// RFC 2449 section 4: a command line is at most 255 octets with its CRLF.
constexpr size_t max_command_line = 255;
// RFC 2449: a keyword argument is at most 40 octets. USER takes an e-mail
// address and AUTH an initial response (RFC 5034 section 4), which may be
// longer; they are bounded by the line instead.
constexpr size_t max_argument = 40;
// Unknown keywords are echoed in replies and logs: kept short and printable.
constexpr size_t max_verb_text = 16;

struct Command {
    Verb verb = Verb::unknown;
    std::string verb_text;            // as sent (bounded, printable), for "-ERR unknown command"
    // LIST/UIDL (optional), RETR/DELE/TOP (required): the message number as
    // given. 0 and numbers beyond the maildrop are the session's to refuse;
    // values over 32 bits are clamped to UINT32_MAX+1 (still "no such message").
    std::optional<uint64_t> message;
    uint64_t lines = 0;               // TOP: body lines wanted
    std::string name;                 // USER: the login name
    std::string password;             // PASS: the rest of the line, spaces included (RFC 1939 section 7)
    std::string mechanism;            // AUTH: upper case; empty for a bare "AUTH" (list mechanisms)
    std::string initial_response;     // AUTH: as sent; "=" is an empty response (RFC 5034)
    // Set when the line is wrong for its verb (missing, extra or malformed
    // arguments, control characters); the session answers "-ERR " + it.
    // Never set for Verb::unknown.
    std::string syntax_error;
};

Command parse_command(std::string_view line);

}  // namespace pochta::pop3
