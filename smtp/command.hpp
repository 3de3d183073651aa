// The SMTP command parser: one line in (without CRLF), one Command out.
// Pure and bounded; the session decides what a command means in its state.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/address/address.hpp"

namespace pochta::smtp {

enum class Verb {
    unknown, helo, ehlo, mail, rcpt, data, bdat, rset, noop, quit, vrfy, expn, help, starttls, auth,
};

enum class Body { unspecified, seven_bit, eight_bit_mime, binary_mime };

struct MailParams {
    std::optional<uint64_t> size;   // SIZE=
    Body body = Body::unspecified;  // BODY=
    bool smtputf8 = false;          // SMTPUTF8
    std::string auth;               // AUTH= (kept, not trusted)
    // DSN params (RET=, ENVID=) are accepted later with the DSN issue.
};

struct Command {
    Verb verb = Verb::unknown;
    // As sent, for "502 5.5.2 Unknown command" replies; for an unknown verb
    // at most 32 octets with non-printable bytes replaced by '?'.
    std::string verb_text;
    std::string argument;           // everything after the verb and its spaces, trimmed
    // MAIL / RCPT. A bad path is reported in path.error only (syntax_error
    // stays empty) so the session can pick the precise reply (501 5.1.7,
    // 501 5.1.3, ...); parameters are not parsed then. "RCPT TO:<>" is
    // path.error == syntax (null_path also set). When the line fails before
    // its path (no "FROM:", control characters) path.error is syntax too.
    // The domain-less "RCPT TO:<Postmaster>" of RFC 5321 4.1.1.3 is a
    // syntax error here: an address needs a domain everywhere downstream.
    PathResult path;
    MailParams mail;
    // BDAT:
    uint64_t chunk_size = 0;
    bool last_chunk = false;
    // AUTH:
    std::string mechanism;          // upper case
    std::string initial_response;   // may be "=" for an empty response
    // Set when the line is syntactically wrong for its verb (including
    // control characters anywhere in the line, a missing "FROM:"/"TO:", bad
    // or repeated parameters); the session replies 501 5.5.4. Never set for
    // Verb::unknown, nor for path errors (see path).
    std::string syntax_error;
    // A well-formed MAIL/RCPT parameter we do not support: 555 5.5.4.
    // Never set together with syntax_error.
    bool unknown_parameter = false;
};

// Paths may hold UTF-8 (Address::utf8 says so); the session refuses it
// unless the transaction declared SMTPUTF8.
Command parse_command(std::string_view line);

}  // namespace pochta::smtp
