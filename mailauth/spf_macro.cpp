#include "mailauth/spf_macro.hpp"

#include <algorithm>
#include <cctype>
#include <vector>

namespace pochta::mailauth {

namespace {

// One piece of a macro string: literal text, or a %{...} expansion.
struct MacroToken {
    std::string_view literal;      // for literal pieces
    char letter = 0;               // lowercase; 0 for literal pieces
    bool url_escape = false;       // the letter was uppercase
    size_t keep_parts = 0;         // rightmost parts to keep; 0 = all
    bool reverse = false;
    std::string_view delimiters;   // "" = "."
};

bool is_macro_letter(char c, MacroUse use) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (c == 'c' || c == 'r' || c == 't') return use == MacroUse::explanation;
    return std::string_view("slodiphv").find(c) != std::string_view::npos;
}

bool is_delimiter(char c) { return std::string_view(".-+,/_=").find(c) != std::string_view::npos; }

bool is_literal_char(char c, MacroUse use) {
    if (c == ' ') return use == MacroUse::explanation;
    return c >= 0x21 && c <= 0x7e && c != '%';
}

// The transformers and delimiters between the letter and "}" (RFC 7208
// section 7.1): *DIGIT [ "r" ] *delimiter, a DIGIT value nonzero.
bool read_transformers(std::string_view body, MacroToken& token) {
    size_t i = 0;
    size_t digits = 0;
    for (; i < body.size() && std::isdigit(static_cast<unsigned char>(body[i])); ++i, ++digits)
        token.keep_parts = std::min<size_t>(token.keep_parts * 10 + (body[i] - '0'), 1000);
    if (digits > 0 && token.keep_parts == 0) return false;
    if (i < body.size() && (body[i] == 'r' || body[i] == 'R')) {
        token.reverse = true;
        ++i;
    }
    token.delimiters = body.substr(i);
    return std::all_of(token.delimiters.begin(), token.delimiters.end(), is_delimiter);
}

// "%{" letter transformers delimiters "}" at text[pos]; advances pos.
std::optional<MacroToken> read_expand(std::string_view text, size_t& pos, MacroUse use) {
    size_t close = text.find('}', pos + 2);
    if (close == std::string_view::npos || close == pos + 2) return std::nullopt;
    MacroToken token;
    char letter = text[pos + 2];
    if (!is_macro_letter(letter, use)) return std::nullopt;
    token.letter = static_cast<char>(std::tolower(static_cast<unsigned char>(letter)));
    token.url_escape = std::isupper(static_cast<unsigned char>(letter));
    if (!read_transformers(text.substr(pos + 3, close - pos - 3), token)) return std::nullopt;
    pos = close + 1;
    return token;
}

// The next piece of a macro string at text[pos]; nullopt on a syntax error.
std::optional<MacroToken> read_token(std::string_view text, size_t& pos, MacroUse use) {
    if (text[pos] != '%') {
        if (!is_literal_char(text[pos], use)) return std::nullopt;
        MacroToken token;
        token.literal = text.substr(pos++, 1);
        return token;
    }
    if (pos + 1 >= text.size()) return std::nullopt;
    MacroToken token;
    switch (text[pos + 1]) {
        case '%': token.literal = "%"; break;
        case '_': token.literal = " "; break;
        case '-': token.literal = "%20"; break;
        case '{': return read_expand(text, pos, use);
        default: return std::nullopt;
    }
    pos += 2;
    return token;
}

const std::string& letter_value(char letter, const SpfMacroValues& v) {
    switch (letter) {
        case 's': return v.sender;
        case 'l': return v.local_part;
        case 'o': return v.sender_domain;
        case 'd': return v.domain;
        case 'i': return v.ip_dotted;
        case 'v': return v.ip_version;
        case 'h': return v.helo;
        case 'c': return v.ip_text;
        case 'r': return v.receiver;
        case 't': return v.timestamp;
        default: return v.validated_domain;
    }
}

std::vector<std::string_view> split_on_any(std::string_view value, std::string_view delimiters) {
    std::vector<std::string_view> parts;
    size_t start = 0;
    for (size_t i = 0; i <= value.size(); ++i) {
        if (i == value.size() || delimiters.find(value[i]) != std::string_view::npos) {
            parts.push_back(value.substr(start, i - start));
            start = i + 1;
        }
    }
    return parts;
}

// Unreserved characters of RFC 3986 stay, everything else becomes %XX.
std::string url_escape(std::string_view text) {
    static const char hex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : text) {
        if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 0xf];
        }
    }
    return out;
}

// Split, reverse, keep the rightmost parts, join with "." (RFC 7208 section 7.3).
std::string transform(const MacroToken& token, std::string_view value) {
    auto parts = split_on_any(value, token.delimiters.empty() ? "." : token.delimiters);
    if (token.reverse) std::reverse(parts.begin(), parts.end());
    size_t skip = token.keep_parts == 0 || token.keep_parts >= parts.size() ? 0 : parts.size() - token.keep_parts;
    std::string out;
    for (size_t i = skip; i < parts.size(); ++i) {
        if (i > skip) out += '.';
        out += parts[i];
    }
    return token.url_escape ? url_escape(out) : out;
}

bool is_alnum(char c) { return std::isalnum(static_cast<unsigned char>(c)); }

// toplabel of RFC 7208 section 7.1: alphanumeric with at least one letter,
// or alphanumeric around inner hyphens.
bool valid_toplabel(std::string_view label) {
    if (label.empty() || !std::all_of(label.begin(), label.end(), [](char c) { return is_alnum(c) || c == '-'; }))
        return false;
    if (label.find('-') != std::string_view::npos) return is_alnum(label.front()) && is_alnum(label.back());
    return std::any_of(label.begin(), label.end(), [](char c) { return std::isalpha(static_cast<unsigned char>(c)); });
}

bool ends_with_toplabel(std::string_view text) {
    if (!text.empty() && text.back() == '.') text.remove_suffix(1);
    size_t dot = text.rfind('.');
    return dot != std::string_view::npos && valid_toplabel(text.substr(dot + 1));
}

// Whether the last token of a valid macro string is a %{...} expansion.
bool ends_with_expand(std::string_view text) {
    size_t pos = 0;
    bool last_was_expand = false;
    while (pos < text.size()) {
        auto token = read_token(text, pos, MacroUse::domain_spec);
        if (!token) return false;
        last_was_expand = token->letter != 0;
    }
    return last_was_expand;
}

// Removes labels from the left until the name fits in 253 octets.
std::string truncate_domain(std::string name) {
    while (name.size() > 253) {
        size_t dot = name.find('.');
        if (dot == std::string::npos) return name.substr(name.size() - 253);
        name.erase(0, dot + 1);
    }
    return name;
}

}  // namespace

bool valid_macro_string(std::string_view text, MacroUse use) {
    size_t pos = 0;
    while (pos < text.size())
        if (!read_token(text, pos, use)) return false;
    return true;
}

bool valid_domain_spec(std::string_view text) {
    return valid_macro_string(text, MacroUse::domain_spec) && (ends_with_toplabel(text) || ends_with_expand(text));
}

bool uses_validated_domain(std::string_view text) {
    size_t pos = 0;
    while (pos < text.size()) {
        auto token = read_token(text, pos, MacroUse::explanation);
        if (!token) return false;
        if (token->letter == 'p') return true;
    }
    return false;
}

std::optional<std::string> expand_macros(std::string_view text, const SpfMacroValues& values, MacroUse use) {
    std::string out;
    size_t pos = 0;
    while (pos < text.size()) {
        auto token = read_token(text, pos, use);
        if (!token) return std::nullopt;
        out += token->letter ? transform(*token, letter_value(token->letter, values)) : std::string(token->literal);
        if (out.size() > max_macro_expansion) return std::nullopt;
    }
    return out;
}

std::optional<std::string> expand_domain_spec(std::string_view text, const SpfMacroValues& values) {
    auto name = expand_macros(text, values, MacroUse::domain_spec);
    if (!name) return std::nullopt;
    if (!name->empty() && name->back() == '.') name->pop_back();
    return truncate_domain(std::move(*name));
}

}  // namespace pochta::mailauth
