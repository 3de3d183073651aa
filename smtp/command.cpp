// SMTP command lines (RFC 5321 4.1.1, ESMTP parameters from RFC 1870,
// 6152, 3030, 6531, 4954). Strict where a mistake could matter (paths,
// parameters, numbers), tolerant of the spacing quirks real clients have.
#include "smtp/command.hpp"

#include <array>

#include "common/util/strings.hpp"

namespace pochta::smtp {
namespace {

struct VerbName {
    std::string_view name;
    Verb verb;
};

constexpr std::array<VerbName, 14> verb_names{{
    {"HELO", Verb::helo}, {"EHLO", Verb::ehlo}, {"MAIL", Verb::mail}, {"RCPT", Verb::rcpt},
    {"DATA", Verb::data}, {"BDAT", Verb::bdat}, {"RSET", Verb::rset}, {"NOOP", Verb::noop},
    {"QUIT", Verb::quit}, {"VRFY", Verb::vrfy}, {"EXPN", Verb::expn}, {"HELP", Verb::help},
    {"STARTTLS", Verb::starttls}, {"AUTH", Verb::auth},
}};

// An unknown verb is echoed in logs and maybe replies: keep it short and printable.
constexpr size_t max_verb_text = 32;
// Far more than any client sends; bounds the duplicate check.
constexpr size_t max_parameters = 16;
// RFC 4422 sasl-mech.
constexpr size_t max_mechanism = 20;

Verb lookup_verb(std::string_view word) {
    for (const auto& entry : verb_names)
        if (iequals(word, entry.name)) return entry.verb;
    return Verb::unknown;
}

// A decimal number: digits only, leading zeros allowed however many
// ("BDAT 00000000000000000000000005" is 5: RFC 3030 and RFC 1870 write
// 1*DIGIT); nullopt on anything else or a value over 64 bits.
std::optional<uint64_t> parse_decimal(std::string_view s) {
    size_t zeros = s.find_first_not_of('0');
    if (zeros == std::string_view::npos) return s.empty() ? std::nullopt : std::optional<uint64_t>(0);
    return parse_uint(s.substr(zeros));
}

void skip_spaces(std::string_view& in) {
    while (!in.empty() && in.front() == ' ') in.remove_prefix(1);
}

bool is_alnum(unsigned char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
bool is_upper_hex(unsigned char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'); }

// esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")
bool is_esmtp_keyword(std::string_view s) {
    if (s.empty() || !is_alnum(static_cast<unsigned char>(s.front()))) return false;
    for (unsigned char c : s)
        if (!is_alnum(c) && c != '-') return false;
    return true;
}

// esmtp-value = 1*(%d33-60 / %d62-126), plus UTF-8 under RFC 6531.
bool is_esmtp_value(std::string_view s) {
    if (s.empty()) return false;
    for (unsigned char c : s)
        if (c < 33 || c == '=' || c == 127) return false;
    return true;
}

// RFC 3461 xtext: printable ASCII but '+' and '=', or "+XX" with upper-case hex.
bool is_xtext(std::string_view s) {
    for (size_t i = 0; i < s.size(); ++i) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        if (c == '+') {
            if (i + 2 >= s.size() || !is_upper_hex(static_cast<unsigned char>(s[i + 1])) ||
                !is_upper_hex(static_cast<unsigned char>(s[i + 2])))
                return false;
            i += 2;
        } else if (c < 33 || c > 126 || c == '=') {
            return false;
        }
    }
    return !s.empty();
}

struct Parameter {
    std::string_view keyword;
    std::string_view value;
    bool has_value = false;
};

// Splits the ESMTP parameters after a path, checking their general shape
// and refusing repeats. Returns false with command.syntax_error set.
bool split_parameters(std::string_view text, Command& command, std::vector<Parameter>& out) {
    for (std::string_view word : split_words(text)) {
        if (out.size() == max_parameters) {
            command.syntax_error = "Too many parameters";
            return false;
        }
        Parameter parameter;
        size_t equals = word.find('=');
        parameter.keyword = word.substr(0, equals);
        if (equals != std::string_view::npos) {
            parameter.has_value = true;
            parameter.value = word.substr(equals + 1);
        }
        if (!is_esmtp_keyword(parameter.keyword) || (parameter.has_value && !is_esmtp_value(parameter.value))) {
            command.syntax_error = "Bad parameter syntax";
            return false;
        }
        for (const Parameter& seen : out) {
            if (iequals(seen.keyword, parameter.keyword)) {
                command.syntax_error = "Duplicate parameter";
                return false;
            }
        }
        out.push_back(parameter);
    }
    return true;
}

bool apply_body(const Parameter& p, MailParams& mail) {
    if (iequals(p.value, "7BIT")) mail.body = Body::seven_bit;
    else if (iequals(p.value, "8BITMIME")) mail.body = Body::eight_bit_mime;
    else if (iequals(p.value, "BINARYMIME")) mail.body = Body::binary_mime;
    else return false;
    return true;
}

// Returns false (with syntax_error set) on a known parameter with a bad value.
bool apply_mail_parameter(const Parameter& p, Command& command) {
    MailParams& mail = command.mail;
    if (iequals(p.keyword, "SIZE")) {
        mail.size = p.has_value ? parse_decimal(p.value) : std::nullopt;
        // All digits but too many for 64 bits: a size over any limit (552), not bad syntax.
        bool only_digits = p.has_value && !p.value.empty() &&
                           p.value.find_first_not_of("0123456789") == std::string_view::npos;
        if (!mail.size && only_digits) mail.size = UINT64_MAX;
        if (!mail.size) command.syntax_error = "Bad SIZE value";
    } else if (iequals(p.keyword, "BODY")) {
        if (!p.has_value || !apply_body(p, mail)) command.syntax_error = "Bad BODY value";
    } else if (iequals(p.keyword, "SMTPUTF8")) {
        if (p.has_value) command.syntax_error = "SMTPUTF8 takes no value";
        mail.smtputf8 = true;
    } else if (iequals(p.keyword, "AUTH")) {
        if (!p.has_value || !is_xtext(p.value)) command.syntax_error = "Bad AUTH value";
        else mail.auth.assign(p.value);
    } else {
        command.unknown_parameter = true;
    }
    return command.syntax_error.empty();
}

// "FROM" / "TO", optional spaces, ':' ; returns the text after the colon.
std::optional<std::string_view> after_keyword(std::string_view argument, std::string_view keyword) {
    if (!istarts_with(argument, keyword)) return std::nullopt;
    argument.remove_prefix(keyword.size());
    skip_spaces(argument);
    if (argument.empty() || argument.front() != ':') return std::nullopt;
    argument.remove_prefix(1);
    return argument;
}

void parse_mail(Command& command) {
    auto path_text = after_keyword(command.argument, "FROM");
    if (!path_text) {
        command.syntax_error = "Syntax: MAIL FROM:<address>";
        return;
    }
    std::string_view rest;
    command.path = parse_path(*path_text, true, true, &rest);
    if (command.path.error != PathError::none) return;  // the session maps it to a reply
    std::vector<Parameter> parameters;
    if (!split_parameters(rest, command, parameters)) return;
    for (const Parameter& p : parameters)
        if (!apply_mail_parameter(p, command)) return;
}

void parse_rcpt(Command& command) {
    auto path_text = after_keyword(command.argument, "TO");
    if (!path_text) {
        command.syntax_error = "Syntax: RCPT TO:<address>";
        return;
    }
    std::string_view rest;
    command.path = parse_path(*path_text, true, true, &rest);
    if (command.path.error == PathError::none && command.path.null_path) command.path.error = PathError::syntax;
    if (command.path.error != PathError::none) return;  // the session maps it to a reply
    std::vector<Parameter> parameters;
    if (!split_parameters(rest, command, parameters)) return;
    // No RCPT extension (DSN's NOTIFY=/ORCPT=) is advertised.
    if (!parameters.empty()) command.unknown_parameter = true;
}

void parse_bdat(Command& command) {
    auto parts = split_words(command.argument);
    std::optional<uint64_t> size = parts.empty() ? std::nullopt : parse_decimal(parts[0]);
    if (!size || parts.size() > 2 || (parts.size() == 2 && !iequals(parts[1], "LAST"))) {
        command.syntax_error = "Syntax: BDAT <size> [LAST]";
        return;
    }
    command.chunk_size = *size;
    command.last_chunk = parts.size() == 2;
}

bool is_mechanism(std::string_view s) {
    if (s.empty() || s.size() > max_mechanism) return false;
    for (unsigned char c : s)
        if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) return false;
    return true;
}

bool is_base64_text(std::string_view s) {
    for (unsigned char c : s)
        if (!is_alnum(c) && c != '+' && c != '/' && c != '=') return false;
    return true;
}

// "AUTH PLAIN  xxx" (two spaces) comes from Windows Mail: spacing is free.
void parse_auth(Command& command) {
    auto parts = split_words(command.argument);
    if (parts.empty() || parts.size() > 2) {
        command.syntax_error = "Syntax: AUTH <mechanism> [initial-response]";
        return;
    }
    std::string mechanism(parts[0].substr(0, max_mechanism + 1));
    for (char& c : mechanism)
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (!is_mechanism(mechanism)) {
        command.syntax_error = "Bad mechanism name";
        return;
    }
    command.mechanism = std::move(mechanism);
    if (parts.size() == 2) {
        if (!is_base64_text(parts[1])) {
            command.syntax_error = "Bad initial response";
            return;
        }
        command.initial_response.assign(parts[1]);
    }
}

void parse_arguments(Command& command) {
    const bool has_argument = !command.argument.empty();
    switch (command.verb) {
        case Verb::helo:
        case Verb::ehlo:
            if (!has_argument) command.syntax_error = "Syntax: " + command.verb_text + " <domain>";
            return;
        case Verb::vrfy:
        case Verb::expn:
            if (!has_argument) command.syntax_error = "Syntax: " + command.verb_text + " <string>";
            return;
        case Verb::data:
        case Verb::rset:
        case Verb::quit:
        case Verb::starttls:
            if (has_argument) command.syntax_error = command.verb_text + " takes no argument";
            return;
        case Verb::mail: parse_mail(command); return;
        case Verb::rcpt: parse_rcpt(command); return;
        case Verb::bdat: parse_bdat(command); return;
        case Verb::auth: parse_auth(command); return;
        case Verb::noop:
        case Verb::help:
        case Verb::unknown:
            return;
    }
}

}  // namespace

Command parse_command(std::string_view line) {
    Command command;
    skip_spaces(line);
    size_t space = line.find(' ');
    std::string_view verb = line.substr(0, space);
    command.verb = lookup_verb(verb);
    command.verb_text = command.verb == Verb::unknown ? printable_prefix(verb, max_verb_text) : std::string(verb);
    if (space != std::string_view::npos) command.argument.assign(trim(line.substr(space + 1)));
    if (command.verb == Verb::unknown) return command;
    // Until a path is parsed there is none: a caller that looks at
    // path.error alone must not take an empty address for a valid one.
    if (command.verb == Verb::mail || command.verb == Verb::rcpt) command.path.error = PathError::syntax;
    if (has_control_chars(line)) {
        command.syntax_error = "Control characters in command";
        return command;
    }
    parse_arguments(command);
    if (!command.syntax_error.empty()) command.unknown_parameter = false;  // one reply per line
    return command;
}

}  // namespace pochta::smtp
