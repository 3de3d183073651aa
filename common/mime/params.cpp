#include "common/mime/params.hpp"

#include <map>
#include <optional>

#include "common/mime/charset.hpp"
#include "common/util/strings.hpp"

namespace pochta::mime {

namespace {

constexpr uint32_t max_continuations = 1000;

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

// Skips a comment starting at text[pos] == '(' (nested, with quoted-pairs);
// an unterminated comment runs to the end. Iterative: the depth is a counter.
size_t skip_comment(std::string_view text, size_t pos) {
    size_t depth = 0;
    for (; pos < text.size(); ++pos) {
        char c = text[pos];
        if (c == '\\') {
            ++pos;
        } else if (c == '(') {
            ++depth;
        } else if (c == ')') {
            if (--depth == 0) return pos + 1;
        }
    }
    return text.size();
}

size_t skip_cfws(std::string_view text, size_t pos) {
    while (pos < text.size()) {
        if (is_space(text[pos])) {
            ++pos;
        } else if (text[pos] == '(') {
            pos = skip_comment(text, pos);
        } else {
            break;
        }
    }
    return pos;
}

// Reads a quoted string starting at text[pos] == '"'; returns its content
// unescaped and moves pos past the closing quote (or to the end).
std::string read_quoted(std::string_view text, size_t& pos, bool* terminated = nullptr) {
    std::string out;
    if (terminated) *terminated = false;
    for (++pos; pos < text.size(); ++pos) {
        char c = text[pos];
        if (c == '"') {
            ++pos;
            if (terminated) *terminated = true;
            return out;
        }
        if (c == '\\' && pos + 1 < text.size()) c = text[++pos];
        if (c == '\r' || c == '\n') continue;  // leftovers of folding
        out.push_back(c);
    }
    return out;
}

// Text up to the next ';' outside quotes, with comments and whitespace removed.
std::string read_until_semicolon(std::string_view text, size_t& pos) {
    std::string out;
    while (pos < text.size() && text[pos] != ';') {
        char c = text[pos];
        if (c == '(') {
            pos = skip_comment(text, pos);
        } else if (c == '"') {
            out += read_quoted(text, pos);
        } else {
            if (!is_space(c)) out.push_back(c);
            ++pos;
        }
    }
    return out;
}

struct RawParam {
    std::string name;  // lowercased, as written (with any '*' suffix)
    std::string value;
};

// One "name=value" starting at pos (after a ';'); moves pos to the next ';'.
std::optional<RawParam> read_param(std::string_view text, size_t& pos) {
    pos = skip_cfws(text, pos);
    size_t name_start = pos;
    while (pos < text.size() && text[pos] != '=' && text[pos] != ';' && !is_space(text[pos]) && text[pos] != '(' &&
           text[pos] != '"')
        ++pos;
    std::string name = to_lower(text.substr(name_start, pos - name_start));
    pos = skip_cfws(text, pos);
    if (pos >= text.size() || text[pos] != '=' || name.empty()) {
        while (pos < text.size() && text[pos] != ';') {
            if (text[pos] == '"') {
                read_quoted(text, pos);
            } else {
                ++pos;
            }
        }
        return std::nullopt;
    }
    pos = skip_cfws(text, pos + 1);
    std::string value;
    if (pos < text.size() && text[pos] == '"') {
        bool terminated;
        value = read_quoted(text, pos, &terminated);
        // An unterminated quote swallowed the rest of the field: there is no
        // telling where the value ended, so the parameter is dropped.
        if (!terminated) return std::nullopt;
        while (pos < text.size() && text[pos] != ';') ++pos;  // junk after the closing quote
    } else {
        size_t start = pos;
        while (pos < text.size() && text[pos] != ';' && text[pos] != '(') ++pos;
        value = std::string(trim(text.substr(start, pos - start)));
        while (pos < text.size() && text[pos] != ';') {
            if (text[pos] == '(') {
                pos = skip_comment(text, pos);
            } else {
                ++pos;
            }
        }
    }
    return RawParam{std::move(name), std::move(value)};
}

std::string percent_decode(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size() && hex_digit_value(s[i + 1]) >= 0 &&
            hex_digit_value(s[i + 2]) >= 0) {
            out.push_back(static_cast<char>(hex_digit_value(s[i + 1]) * 16 + hex_digit_value(s[i + 2])));
            i += 2;
        } else {
            out.push_back(s[i]);
        }
    }
    return out;
}

// charset'language'%XX-text -> UTF-8 (bytes kept when the charset is unknown).
struct Extended {
    std::string charset;
    std::string text;  // percent-decoded, still in charset
};

Extended split_extended(std::string_view value) {
    size_t q1 = value.find('\'');
    size_t q2 = q1 == std::string_view::npos ? q1 : value.find('\'', q1 + 1);
    if (q2 == std::string_view::npos) return {"", percent_decode(value)};
    return {std::string(value.substr(0, q1)), percent_decode(value.substr(q2 + 1))};
}

std::string finish_extended(const Extended& e) {
    if (e.charset.empty()) return e.text;
    auto converted = to_utf8(e.text, e.charset);
    return converted ? *converted : e.text;
}

// A section of an RFC 2231 name: "title*1*" -> base "title", index 1, encoded.
struct Section {
    std::string base;
    std::optional<uint32_t> index;  // nullopt for "name*" (single extended value)
    bool encoded = false;
};

std::optional<Section> parse_section(const std::string& name) {
    size_t star = name.find('*');
    if (star == std::string::npos || star == 0) return std::nullopt;
    Section s;
    s.base = name.substr(0, star);
    std::string_view rest = std::string_view(name).substr(star + 1);
    if (rest.empty()) {
        s.encoded = true;
        return s;
    }
    if (rest.back() == '*') {
        s.encoded = true;
        rest.remove_suffix(1);
    }
    auto n = parse_uint(rest);
    if (!n || *n >= max_continuations || (rest.size() > 1 && rest[0] == '0')) return std::nullopt;
    s.index = static_cast<uint32_t>(*n);
    return s;
}

struct Continued {
    std::map<uint32_t, std::pair<bool, std::string>> sections;  // index -> (encoded, value)
};

std::string join_continued(const Continued& c) {
    std::string charset;
    std::string bytes;
    uint32_t expected = 0;
    for (const auto& [index, section] : c.sections) {
        if (index != expected) break;  // a gap ends the value
        const auto& [encoded, value] = section;
        if (index == 0 && encoded) {
            Extended e = split_extended(value);
            charset = e.charset;
            bytes += e.text;
        } else {
            bytes += encoded ? percent_decode(value) : value;
        }
        ++expected;
    }
    return finish_extended({charset, bytes});
}

std::vector<Param> combine(std::vector<RawParam> raw, uint32_t max_params) {
    // Names in order of first appearance (by base name), then the best value:
    // an RFC 2231 value wins over a plain one (senders add a plain fallback).
    std::vector<std::string> order;
    std::map<std::string, std::string> plain, extended;
    std::map<std::string, Continued> continued;
    auto note = [&](const std::string& base) {
        for (const auto& n : order)
            if (n == base) return;
        order.push_back(base);
    };
    for (auto& p : raw) {
        auto section = parse_section(p.name);
        if (!section && p.name.find('*') != std::string::npos) continue;  // a malformed RFC 2231 name
        if (!section) {
            note(p.name);
            plain.emplace(p.name, std::move(p.value));
        } else if (!section->index) {
            note(section->base);
            extended.emplace(section->base, finish_extended(split_extended(p.value)));
        } else {
            note(section->base);
            continued[section->base].sections.emplace(*section->index,
                                                      std::make_pair(section->encoded, std::move(p.value)));
        }
    }
    std::vector<Param> out;
    // Charset names are case-insensitive; one spelling keeps comparisons simple.
    for (auto* values : {&plain, &extended})
        if (auto c = values->find("charset"); c != values->end()) c->second = to_lower(c->second);
    for (const auto& name : order) {
        if (out.size() >= max_params) break;
        if (auto e = extended.find(name); e != extended.end()) {
            out.push_back({name, e->second});
        } else if (auto c = continued.find(name); c != continued.end() && c->second.sections.count(0)) {
            out.push_back({name, join_continued(c->second)});
        } else if (auto p = plain.find(name); p != plain.end()) {
            out.push_back({name, p->second});
        }
    }
    return out;
}

}  // namespace

StructuredValue parse_structured(std::string_view text, uint32_t max_params) {
    StructuredValue result;
    size_t pos = 0;
    result.value = read_until_semicolon(text, pos);
    std::vector<RawParam> raw;
    // Continuations may legitimately multiply the raw count; still bounded.
    const size_t max_raw = static_cast<size_t>(max_params) * 16;
    while (pos < text.size() && raw.size() < max_raw) {
        ++pos;  // the ';'
        if (auto p = read_param(text, pos)) raw.push_back(std::move(*p));
    }
    result.params = combine(std::move(raw), max_params);
    return result;
}

std::vector<std::string> parse_language_list(std::string_view text) {
    std::vector<std::string> out;
    std::string current;
    auto flush = [&] {
        if (!current.empty()) out.push_back(std::move(current));
        current.clear();
    };
    for (size_t pos = 0; pos < text.size() && out.size() < 64;) {
        char c = text[pos];
        if (c == '(') {
            pos = skip_comment(text, pos);
            flush();
        } else if (c == ',' || is_space(c)) {
            flush();
            ++pos;
        } else {
            current.push_back(c);
            ++pos;
        }
    }
    if (out.size() < 64) flush();
    return out;
}

std::string strip_comments(std::string_view text) {
    std::string out;
    for (size_t pos = 0; pos < text.size();) {
        if (text[pos] == '(') {
            pos = skip_comment(text, pos);
        } else if (text[pos] == '"') {
            out.push_back('"');
            out += read_quoted(text, pos);
            out.push_back('"');
        } else {
            out.push_back(text[pos++]);
        }
    }
    return std::string(trim(out));
}

}  // namespace pochta::mime
