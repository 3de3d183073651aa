#include "imap/response.hpp"

#include "imap/mutf7.hpp"

namespace pochta::imap {

namespace {

bool astring_char(unsigned char c) {
    if (c <= 0x20 || c >= 0x7f) return false;
    return c != '(' && c != ')' && c != '{' && c != '%' && c != '*' && c != '"' && c != '\\';
}

bool atom_char(unsigned char c) { return astring_char(c) && c != ']'; }

}  // namespace

bool can_quote(std::string_view s, bool utf8) {
    if (s.size() > kMaxQuoted) return false;
    bool eight_bit = false;
    for (unsigned char c : s) {
        if (c == '\0' || c == '\r' || c == '\n') return false;
        if (c >= 0x80) eight_bit = true;
    }
    return !eight_bit || (utf8 && valid_utf8(s));
}

std::string quoted(std::string_view s) {
    std::string out;
    out.reserve(s.size() + 2);
    out += '"';
    for (char c : s) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    out += '"';
    return out;
}

std::string quote_or_literal(std::string_view s, bool utf8) {
    if (can_quote(s, utf8)) return quoted(s);
    std::string out = "{" + std::to_string(s.size()) + "}\r\n";
    out.append(s);
    return out;
}

std::string nstring(std::optional<std::string_view> s, bool utf8) {
    return s ? quote_or_literal(*s, utf8) : std::string("NIL");
}

std::string astring(std::string_view s, bool utf8) {
    bool atom = !s.empty() && s.size() <= kMaxQuoted && !(s.size() == 3 && (s[0] | 0x20) == 'n' &&
                                                          (s[1] | 0x20) == 'i' && (s[2] | 0x20) == 'l');
    for (unsigned char c : s) atom = atom && astring_char(c);
    return atom ? std::string(s) : quote_or_literal(s, utf8);
}

bool valid_flag(std::string_view flag) {
    if (flag == "\\*") return true;
    if (!flag.empty() && flag.front() == '\\') flag.remove_prefix(1);
    if (flag.empty() || flag.size() > 256) return false;
    for (unsigned char c : flag)
        if (!atom_char(c)) return false;
    return true;
}

std::string flag_list(const std::vector<std::string>& flags) {
    std::string out = "(";
    for (const std::string& flag : flags) {
        if (!valid_flag(flag)) continue;
        if (out.size() > 1) out += ' ';
        out += flag;
    }
    out += ')';
    return out;
}

std::string response_text(std::string_view text) {
    std::string out(text);
    for (char& c : out) {
        unsigned char u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7f) c = ' ';
        else if (u >= 0x80) c = '?';
    }
    return out;
}

std::string_view status_name(Status status) {
    switch (status) {
        case Status::ok: return "OK";
        case Status::no: return "NO";
        case Status::bad: return "BAD";
        case Status::preauth: return "PREAUTH";
        case Status::bye: return "BYE";
    }
    return "BAD";
}

ResponseLine::ResponseLine(std::string_view prefix, bool utf8) : line_(prefix), utf8_(utf8) {}

void ResponseLine::space() {
    if (!line_.empty()) line_ += ' ';
}

ResponseLine& ResponseLine::atom(std::string_view atom) {
    space();
    line_.append(atom);
    return *this;
}

ResponseLine& ResponseLine::number(uint64_t n) { return atom(std::to_string(n)); }

ResponseLine& ResponseLine::string(std::string_view s) { return atom(quote_or_literal(s, utf8_)); }

ResponseLine& ResponseLine::nstring(std::optional<std::string_view> s) { return atom(imap::nstring(s, utf8_)); }

ResponseLine& ResponseLine::astring(std::string_view s) { return atom(imap::astring(s, utf8_)); }

ResponseLine& ResponseLine::flags(const std::vector<std::string>& flags) { return atom(flag_list(flags)); }

ResponseLine& ResponseLine::text(std::string_view text) { return atom(response_text(text)); }

std::string ResponseLine::finish() const { return line_ + "\r\n"; }

std::string status_line(std::string_view tag, Status status, std::string_view code, std::string_view text) {
    std::string line(tag.empty() ? std::string_view("*") : tag);
    line += ' ';
    line += status_name(status);
    if (!code.empty()) {
        line += " [";
        line += response_text(code);
        line += ']';
    }
    line += ' ';
    line += text.empty() ? std::string("done") : response_text(text);
    line += "\r\n";
    return line;
}

std::string continuation_line(std::string_view text) {
    return "+ " + (text.empty() ? std::string("Ready") : response_text(text)) + "\r\n";
}

}  // namespace pochta::imap
