// Fuzzes parse_command. Beyond "no crash", checks what the session relies
// on: unknown verbs come back short and printable, accepted commands carry
// no control characters, and an accepted MAIL/RCPT/BDAT/AUTH, printed back
// in canonical form, parses to the same values.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "smtp/command.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace pochta;
using namespace pochta::smtp;

namespace {

bool printable(std::string_view s) {
    for (unsigned char c : s)
        if (c < 32 || c > 126) return false;
    return true;
}

bool has_control(std::string_view s) {
    for (unsigned char c : s)
        if ((c < 32 && c != '\t') || c == 127) return true;
    return false;
}

std::string body_name(Body body) {
    switch (body) {
        case Body::seven_bit: return " BODY=7BIT";
        case Body::eight_bit_mime: return " BODY=8BITMIME";
        case Body::binary_mime: return " BODY=BINARYMIME";
        case Body::unspecified: break;
    }
    return "";
}

std::string print_path(const PathResult& path) {
    return path.null_path ? "<>" : "<" + path.address.str() + ">";
}

bool same_address(const Address& a, const Address& b) {
    return a.local == b.local && a.domain == b.domain && a.domain_literal == b.domain_literal && a.utf8 == b.utf8;
}

void check_mail(const Command& c) {
    std::string line = "MAIL FROM:" + print_path(c.path);
    if (c.mail.size) line += " SIZE=" + std::to_string(*c.mail.size);
    line += body_name(c.mail.body);
    if (c.mail.smtputf8) line += " SMTPUTF8";
    if (!c.mail.auth.empty()) line += " AUTH=" + c.mail.auth;
    if (line.size() > 1000) return;  // a printed UTF-8 path can be long; stay in the session's bounds
    Command again = parse_command(line);
    FUZZ_CHECK(again.verb == Verb::mail && again.syntax_error.empty() && !again.unknown_parameter);
    FUZZ_CHECK(again.path.null_path == c.path.null_path && same_address(again.path.address, c.path.address));
    FUZZ_CHECK(again.mail.size == c.mail.size && again.mail.body == c.mail.body);
    FUZZ_CHECK(again.mail.smtputf8 == c.mail.smtputf8 && again.mail.auth == c.mail.auth);
}

void check_rcpt(const Command& c) {
    FUZZ_CHECK(!c.path.null_path);
    Command again = parse_command("RCPT TO:" + print_path(c.path));
    FUZZ_CHECK(again.verb == Verb::rcpt && again.syntax_error.empty() && !again.unknown_parameter);
    FUZZ_CHECK(same_address(again.path.address, c.path.address));
}

// A MAIL/RCPT line without a syntax error: either a bad path (nothing else
// parsed) or a good one that prints back to the same command.
void check_path_command(const Command& c) {
    if (c.path.error != PathError::none) {
        FUZZ_CHECK(!c.unknown_parameter && !c.mail.size && !c.mail.smtputf8 && c.mail.auth.empty());
        FUZZ_CHECK(c.path.address.local.empty() && c.path.address.domain.empty());
        return;
    }
    if (c.verb == Verb::mail) check_mail(c);
    else check_rcpt(c);
}

void check_accepted(const Command& c) {
    FUZZ_CHECK(!has_control(c.argument));
    switch (c.verb) {
        case Verb::mail:
        case Verb::rcpt: check_path_command(c); break;
        case Verb::bdat: {
            Command again = parse_command("BDAT " + std::to_string(c.chunk_size) + (c.last_chunk ? " LAST" : ""));
            FUZZ_CHECK(again.syntax_error.empty() && again.chunk_size == c.chunk_size &&
                       again.last_chunk == c.last_chunk);
            break;
        }
        case Verb::auth: {
            FUZZ_CHECK(!c.mechanism.empty() && c.mechanism.size() <= 20 && printable(c.mechanism));
            for (char ch : c.mechanism) FUZZ_CHECK(!(ch >= 'a' && ch <= 'z'));
            std::string line = "AUTH " + c.mechanism;
            if (!c.initial_response.empty()) line += " " + c.initial_response;
            Command again = parse_command(line);
            FUZZ_CHECK(again.syntax_error.empty() && again.mechanism == c.mechanism &&
                       again.initial_response == c.initial_response);
            break;
        }
        case Verb::helo:
        case Verb::ehlo:
        case Verb::vrfy:
        case Verb::expn: FUZZ_CHECK(!c.argument.empty()); break;
        case Verb::data:
        case Verb::rset:
        case Verb::quit:
        case Verb::starttls: FUZZ_CHECK(c.argument.empty()); break;
        default: break;
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view line(reinterpret_cast<const char*>(data), size);
    Command c = parse_command(line);
    // The argument is trimmed.
    FUZZ_CHECK(c.argument.empty() || (c.argument.front() != ' ' && c.argument.back() != ' '));
    if (c.verb == Verb::unknown) {
        FUZZ_CHECK(c.verb_text.size() <= 32 && printable(c.verb_text));
        FUZZ_CHECK(c.syntax_error.empty() && !c.unknown_parameter);
        return 0;
    }
    FUZZ_CHECK(c.syntax_error.empty() || !c.unknown_parameter);
    if ((c.verb == Verb::mail || c.verb == Verb::rcpt) && !c.syntax_error.empty())
        FUZZ_CHECK(c.path.error != PathError::none || !c.path.address.domain.empty() || c.path.null_path);
    if (c.syntax_error.empty()) check_accepted(c);
    // Parsing is deterministic.
    Command again = parse_command(line);
    FUZZ_CHECK(again.verb == c.verb && again.syntax_error == c.syntax_error && again.argument == c.argument);
    return 0;
}
