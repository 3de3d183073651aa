// Fuzzes the POP3 parse_command. Beyond "no crash", checks what the
// session relies on: unknown keywords come back short and printable,
// accepted commands carry no control characters, and an accepted command
// printed back in canonical form parses to the same values.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "pop3/command.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace pochta::pop3;

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

const char* keyword(Verb verb) {
    switch (verb) {
        case Verb::user: return "USER";
        case Verb::pass: return "PASS";
        case Verb::apop: return "APOP";
        case Verb::stat: return "STAT";
        case Verb::list: return "LIST";
        case Verb::retr: return "RETR";
        case Verb::dele: return "DELE";
        case Verb::noop: return "NOOP";
        case Verb::rset: return "RSET";
        case Verb::quit: return "QUIT";
        case Verb::top: return "TOP";
        case Verb::uidl: return "UIDL";
        case Verb::capa: return "CAPA";
        case Verb::stls: return "STLS";
        case Verb::auth: return "AUTH";
        case Verb::unknown: break;
    }
    return "";
}

// The canonical line for an accepted command.
std::string print(const Command& c) {
    std::string line = keyword(c.verb);
    switch (c.verb) {
        case Verb::user: return line + " " + c.name;
        case Verb::pass: return line + " " + c.password;
        case Verb::list:
        case Verb::uidl: return c.message ? line + " " + std::to_string(*c.message) : line;
        case Verb::retr:
        case Verb::dele: return line + " " + std::to_string(*c.message);
        case Verb::top: return line + " " + std::to_string(*c.message) + " " + std::to_string(c.lines);
        case Verb::auth:
            if (!c.mechanism.empty()) line += " " + c.mechanism;
            if (!c.initial_response.empty()) line += " " + c.initial_response;
            return line;
        default: return line;
    }
}

void check_accepted(const Command& c) {
    FUZZ_CHECK(!has_control(c.name) && !has_control(c.password) && !has_control(c.initial_response));
    switch (c.verb) {
        case Verb::user: FUZZ_CHECK(!c.name.empty() && c.name.find(' ') == std::string::npos); break;
        case Verb::pass: FUZZ_CHECK(!c.password.empty()); break;
        case Verb::retr:
        case Verb::dele:
        case Verb::top: FUZZ_CHECK(c.message.has_value() && *c.message <= (uint64_t{1} << 32)); break;
        case Verb::auth:
            FUZZ_CHECK(c.mechanism.size() <= 20 && printable(c.mechanism));
            for (char ch : c.mechanism) FUZZ_CHECK(!(ch >= 'a' && ch <= 'z'));
            FUZZ_CHECK(c.initial_response.empty() || !c.mechanism.empty());
            FUZZ_CHECK(c.initial_response.find(' ') == std::string::npos);
            break;
        default: break;
    }
    if (c.verb == Verb::apop) return;  // refused whatever it carries
    Command again = parse_command(print(c));
    FUZZ_CHECK(again.verb == c.verb && again.syntax_error.empty());
    FUZZ_CHECK(again.message == c.message && again.lines == c.lines);
    FUZZ_CHECK(again.name == c.name && again.password == c.password);
    FUZZ_CHECK(again.mechanism == c.mechanism && again.initial_response == c.initial_response);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view line(reinterpret_cast<const char*>(data), size);
    Command c = parse_command(line);
    FUZZ_CHECK(c.verb_text.size() <= max_verb_text && printable(c.verb_text));
    if (c.verb == Verb::unknown) {
        FUZZ_CHECK(c.syntax_error.empty() && !c.message && c.name.empty() && c.password.empty());
        return 0;
    }
    if (c.syntax_error.empty()) check_accepted(c);
    // Parsing is deterministic.
    Command again = parse_command(line);
    FUZZ_CHECK(again.verb == c.verb && again.syntax_error == c.syntax_error && again.message == c.message);
    return 0;
}
