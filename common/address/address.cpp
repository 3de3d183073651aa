// RFC 5321 4.1.2 paths with the RFC 6531 UTF-8 extensions. The scanners
// below each consume one grammar element from the front of a string_view;
// they never look past its end, so any byte sequence is safe to feed in.
#include "common/address/address.hpp"

#include <arpa/inet.h>

#include "common/util/strings.hpp"

namespace pochta {
namespace {

// RFC 5321 4.5.3.1.
constexpr size_t max_local_part = 64;
constexpr size_t max_domain = 255;
constexpr size_t max_label = 63;
constexpr size_t max_path = 256;  // including '<' and '>'

bool is_alpha(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
bool is_hex(unsigned char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// RFC 5322 atext; bytes >= 0x80 stand for RFC 6531 UTF8-non-ascii and are
// checked for well-formedness separately.
bool is_atext(unsigned char c) {
    if (is_alpha(c) || is_digit(c) || c >= 0x80) return true;
    switch (c) {
        case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+': case '-':
        case '/': case '=': case '?': case '^': case '_': case '`': case '{': case '|': case '}': case '~':
            return true;
        default:
            return false;
    }
}

// RFC 5321 qtextSMTP (printable ASCII but '"' and '\'), plus UTF-8.
bool is_qtext(unsigned char c) { return (c >= 32 && c <= 126 && c != '"' && c != '\\') || c >= 0x80; }

bool is_domain_char(unsigned char c) { return is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c >= 0x80; }

bool has_non_ascii(std::string_view s) {
    for (unsigned char c : s)
        if (c >= 0x80) return true;
    return false;
}

// Length of the well-formed UTF-8 sequence starting at s[i] (RFC 3629
// table: no overlong forms, no surrogates, nothing above U+10FFFF), or 0.
size_t utf8_sequence_length(std::string_view s, size_t i) {
    auto byte = [&](size_t k) -> unsigned { return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0x100; };
    auto tail = [&](size_t k) { return byte(k) >= 0x80 && byte(k) <= 0xBF; };
    unsigned b0 = byte(0);
    if (b0 < 0x80) return 1;
    if (b0 >= 0xC2 && b0 <= 0xDF) return tail(1) ? 2 : 0;
    if (b0 >= 0xE0 && b0 <= 0xEF) {
        unsigned lo = b0 == 0xE0 ? 0xA0 : 0x80;  // E0 80..9F would be overlong
        unsigned hi = b0 == 0xED ? 0x9F : 0xBF;  // ED A0..BF are surrogates
        return byte(1) >= lo && byte(1) <= hi && tail(2) ? 3 : 0;
    }
    if (b0 >= 0xF0 && b0 <= 0xF4) {
        unsigned lo = b0 == 0xF0 ? 0x90 : 0x80;  // F0 80..8F would be overlong
        unsigned hi = b0 == 0xF4 ? 0x8F : 0xBF;  // above F4 8F is past U+10FFFF
        return byte(1) >= lo && byte(1) <= hi && tail(2) && tail(3) ? 4 : 0;
    }
    return 0;  // lone continuation byte, C0/C1 or F5..FF
}

bool is_valid_utf8(std::string_view s) {
    for (size_t i = 0; i < s.size();) {
        size_t n = utf8_sequence_length(s, i);
        if (n == 0) return false;
        i += n;
    }
    return true;
}

// Dot-string: atoms of atext joined by single dots.
bool is_dot_string(std::string_view s) {
    if (s.empty() || s.front() == '.' || s.back() == '.') return false;
    for (size_t i = 0; i < s.size(); ++i) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        if (c == '.') {
            if (s[i - 1] == '.') return false;
        } else if (!is_atext(c)) {
            return false;
        }
    }
    return true;
}

// Collects the outcome of one scan: the first syntax error wins, length
// violations are only reported for otherwise valid text.
struct Scan {
    bool syntax_ok = true;
    bool too_long = false;
    bool utf8 = false;

    bool fail() {
        syntax_ok = false;
        return false;
    }
    // Notes non-ASCII text; it must then be well-formed UTF-8.
    bool check_utf8(std::string_view raw) {
        if (!has_non_ascii(raw)) return true;
        utf8 = true;
        return is_valid_utf8(raw) || fail();
    }
};

// One label of a domain: LDH (letters, digits, inner hyphens) or a U-label.
// U-labels are bounded by the domain length only: their 63-octet limit
// applies to the A-label form, which can be shorter than the UTF-8 octets.
bool check_label(std::string_view label, Scan& scan) {
    if (label.empty() || label.front() == '-' || label.back() == '-') return scan.fail();
    if (has_non_ascii(label)) return scan.check_utf8(label);
    if (label.size() > max_label) scan.too_long = true;
    return true;
}

bool check_domain_name(std::string_view domain, Scan& scan) {
    if (domain.empty()) return scan.fail();
    if (domain.size() > max_domain) scan.too_long = true;
    size_t start = 0;
    for (;;) {
        size_t dot = domain.find('.', start);
        std::string_view label = domain.substr(start, dot == std::string_view::npos ? dot : dot - start);
        if (!check_label(label, scan)) return false;
        if (dot == std::string_view::npos) return true;
        start = dot + 1;
    }
}

// "1.2.3.4": four decimal numbers of 1 to 3 digits, each at most 255.
bool is_ipv4_literal(std::string_view s) {
    int parts = 0;
    size_t i = 0;
    for (;;) {
        size_t digits = 0;
        unsigned value = 0;
        while (i < s.size() && is_digit(static_cast<unsigned char>(s[i])) && digits < 4) {
            value = value * 10 + static_cast<unsigned>(s[i] - '0');
            ++i;
            ++digits;
        }
        if (digits == 0 || digits > 3 || value > 255) return false;
        if (++parts == 4) return i == s.size();
        if (i >= s.size() || s[i] != '.') return false;
        ++i;
    }
}

bool is_ipv6_literal(std::string_view s) {
    // The longest form, "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", is 45 octets.
    if (s.empty() || s.size() > 45) return false;
    for (unsigned char c : s)
        if (!is_hex(c) && c != ':' && c != '.') return false;
    std::string text(s);
    unsigned char buffer[16];
    return inet_pton(AF_INET6, text.c_str(), buffer) == 1;
}

// "[...]" address literal, brackets included in `literal`.
bool check_address_literal(std::string_view literal, Scan& scan) {
    std::string_view inside = literal.substr(1, literal.size() - 2);
    if (is_ipv4_literal(inside)) return true;
    constexpr std::string_view tag = "IPv6:";
    if (istarts_with(inside, tag) && is_ipv6_literal(inside.substr(tag.size()))) return true;
    return scan.fail();  // general address literals name no standardized tag we could deliver to
}

// Domain or address literal at the front of `in`; consumed into `domain`.
bool scan_domain(std::string_view& in, bool allow_literal, Address& out, Scan& scan) {
    if (!in.empty() && in.front() == '[') {
        size_t close = in.find(']');
        if (!allow_literal || close == std::string_view::npos) return scan.fail();
        std::string_view literal = in.substr(0, close + 1);
        if (!check_address_literal(literal, scan)) return false;
        out.domain.assign(literal);
        out.domain_literal = true;
        in.remove_prefix(literal.size());
        return true;
    }
    size_t n = 0;
    while (n < in.size() && is_domain_char(static_cast<unsigned char>(in[n]))) ++n;
    std::string_view domain = in.substr(0, n);
    if (!check_domain_name(domain, scan)) return false;
    out.domain.assign(domain);
    out.domain_literal = false;
    in.remove_prefix(n);
    return true;
}

bool scan_quoted_local(std::string_view& in, Address& out, Scan& scan) {
    size_t i = 1;  // past the opening quote
    out.local.clear();
    for (;;) {
        if (i >= in.size()) return scan.fail();
        unsigned char c = static_cast<unsigned char>(in[i]);
        if (c == '"') break;
        if (c == '\\') {
            // quoted-pairSMTP: a backslash then printable ASCII.
            if (i + 1 >= in.size() || in[i + 1] < 32 || in[i + 1] > 126) return scan.fail();
            out.local.push_back(in[i + 1]);
            i += 2;
        } else if (is_qtext(c)) {
            out.local.push_back(static_cast<char>(c));
            ++i;
        } else {
            return scan.fail();
        }
    }
    std::string_view raw = in.substr(0, i + 1);
    if (!scan.check_utf8(raw)) return false;
    if (raw.size() > max_local_part) scan.too_long = true;
    out.quoted_local = true;
    in.remove_prefix(raw.size());
    return true;
}

bool scan_dot_string_local(std::string_view& in, Address& out, Scan& scan) {
    size_t n = 0;
    while (n < in.size() && (is_atext(static_cast<unsigned char>(in[n])) || in[n] == '.')) ++n;
    std::string_view raw = in.substr(0, n);
    if (!is_dot_string(raw)) return scan.fail();
    if (!scan.check_utf8(raw)) return false;
    if (raw.size() > max_local_part) scan.too_long = true;
    out.local.assign(raw);
    out.quoted_local = false;
    in.remove_prefix(n);
    return true;
}

// Mailbox = Local-part "@" ( Domain / address-literal )
bool scan_mailbox(std::string_view& in, Address& out, Scan& scan) {
    bool local_ok = !in.empty() && in.front() == '"' ? scan_quoted_local(in, out, scan)
                                                     : scan_dot_string_local(in, out, scan);
    if (!local_ok) return false;
    if (in.empty() || in.front() != '@') return scan.fail();
    in.remove_prefix(1);
    if (!scan_domain(in, true, out, scan)) return false;
    // Not scan.utf8: that also covers a source route, which is dropped.
    out.utf8 = has_non_ascii(out.local) || has_non_ascii(out.domain);
    return true;
}

// A-d-l ":" — "@a,@b:" before the mailbox. The route is validated, then
// dropped, as RFC 5321 Appendix C asks.
bool scan_source_route(std::string_view& in, Scan& scan) {
    Address ignored;
    for (;;) {
        if (in.empty() || in.front() != '@') return scan.fail();
        in.remove_prefix(1);
        if (!scan_domain(in, false, ignored, scan)) return false;
        if (in.empty()) return scan.fail();
        char separator = in.front();
        in.remove_prefix(1);
        if (separator == ':') return true;
        if (separator != ',') return scan.fail();
    }
}

void skip_spaces(std::string_view& in) {
    while (!in.empty() && in.front() == ' ') in.remove_prefix(1);
}

// Quotes a local part unless it is a valid dot-string.
void append_local(std::string& out, std::string_view local) {
    if (is_dot_string(local)) {
        out.append(local);
        return;
    }
    out.push_back('"');
    for (char c : local) {
        if (c == '"' || c == '\\') out.push_back('\\');
        out.push_back(c);
    }
    out.push_back('"');
}

}  // namespace

std::string Address::str() const {
    std::string out;
    out.reserve(local.size() + domain.size() + 3);
    append_local(out, local);
    out.push_back('@');
    out.append(domain);
    return out;
}

std::string Address::canonical() const {
    return local + '@' + to_lower(domain);
}

PathResult parse_path(std::string_view text, bool allow_utf8, bool lenient, std::string_view* rest) {
    PathResult result;
    if (rest) *rest = {};
    std::string_view in = text;
    skip_spaces(in);
    const bool bracketed = !in.empty() && in.front() == '<';
    if (!bracketed && !lenient) {
        result.error = PathError::syntax;
        return result;
    }
    const char* start = in.data();
    Scan scan;
    if (bracketed) in.remove_prefix(1);
    if (bracketed && !in.empty() && in.front() == '>') {
        in.remove_prefix(1);
        result.null_path = true;
    } else {
        if (!in.empty() && in.front() == '@') {
            result.had_source_route = true;
            scan_source_route(in, scan);
        }
        if (scan.syntax_ok) scan_mailbox(in, result.address, scan);
        if (scan.syntax_ok && bracketed) {
            if (in.empty() || in.front() != '>') scan.fail();
            else in.remove_prefix(1);
        }
    }
    // The path must end at the end of the text or at the space before the parameters.
    if (scan.syntax_ok && !in.empty() && in.front() != ' ') scan.fail();

    size_t path_size = static_cast<size_t>(in.data() - start) + (bracketed ? 0 : 2);
    if (!scan.syntax_ok) result.error = PathError::syntax;
    else if (scan.utf8 && !allow_utf8) result.error = PathError::utf8_not_allowed;
    else if (scan.too_long || path_size > max_path) result.error = PathError::too_long;
    if (result.error != PathError::none) {
        result.address = Address{};
        return result;
    }
    skip_spaces(in);
    if (rest) *rest = in;
    return result;
}

std::optional<Address> parse_address(std::string_view text, bool allow_utf8) {
    Address address;
    Scan scan;
    std::string_view in = text;
    if (!scan_mailbox(in, address, scan) || !in.empty()) return std::nullopt;
    if (scan.too_long || (scan.utf8 && !allow_utf8)) return std::nullopt;
    return address;
}

bool is_plain_local_part(const Address& address) {
    // Needing quotes means specials or spaces: "user@remote"@local and friends.
    if (!is_dot_string(address.local)) return false;
    for (char c : address.local)
        if (c == '%' || c == '!' || c == '@') return false;
    return true;
}

}  // namespace pochta
