#include "common/mime/address_list.hpp"

#include <algorithm>

namespace pochta::mime {

namespace {

enum class TokenType { atom, quoted, comment, literal, special };

struct Token {
    TokenType type;
    std::string text;  // unquoted content; the character for specials
    bool space_before = false;

    bool is(char c) const { return type == TokenType::special && text.size() == 1 && text[0] == c; }
};

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

bool is_special(char c) {
    return std::string_view("()<>[]:;@\\,.\"").find(c) != std::string_view::npos;
}

// Reads up to `close`, honouring backslash escapes; nesting for comments.
// Unterminated: runs to the end.
std::string read_delimited(std::string_view s, size_t& pos, char open, char close, bool nested) {
    std::string out;
    size_t depth = 1;
    for (++pos; pos < s.size(); ++pos) {
        char c = s[pos];
        if (c == '\\' && pos + 1 < s.size()) {
            out.push_back(s[++pos]);
            continue;
        }
        if (nested && c == open) {
            ++depth;
        } else if (c == close && --depth == 0) {
            ++pos;
            return out;
        }
        if (c == '\r' || c == '\n') continue;
        out.push_back(c);
    }
    return out;
}

std::vector<Token> tokenize(std::string_view s) {
    std::vector<Token> tokens;
    bool space = false;
    size_t pos = 0;
    while (pos < s.size()) {
        char c = s[pos];
        if (is_space(c)) {
            space = true;
            ++pos;
            continue;
        }
        Token t{TokenType::special, "", space};
        space = false;
        if (c == '"') {
            t.type = TokenType::quoted;
            t.text = read_delimited(s, pos, '"', '"', false);
        } else if (c == '(') {
            t.type = TokenType::comment;
            t.text = read_delimited(s, pos, '(', ')', true);
            space = true;  // a comment separates words like whitespace does
        } else if (c == '[') {
            t.type = TokenType::literal;
            t.text = "[" + read_delimited(s, pos, '[', ']', false) + "]";
        } else if (c == ')' || c == ']') {
            ++pos;  // stray closer
            continue;
        } else if (c == '\\' || !is_special(c)) {
            t.type = TokenType::atom;
            while (pos < s.size() && !is_space(s[pos])) {
                if (s[pos] == '\\') {
                    // A quoted-pair; a lone backslash at the very end is dropped.
                    if (pos + 1 < s.size()) t.text.push_back(s[pos + 1]);
                    pos = std::min(pos + 2, s.size());
                    continue;
                }
                if (is_special(s[pos])) break;
                t.text.push_back(s[pos++]);
            }
        } else {
            t.text = std::string(1, c);
            ++pos;
        }
        if (t.type == TokenType::atom && t.text.empty()) continue;  // a lone trailing backslash
        tokens.push_back(std::move(t));
    }
    return tokens;
}

using Span = std::vector<const Token*>;

// Words of a phrase joined as written: one space wherever there was space.
std::optional<std::string> phrase_text(const Span& tokens) {
    std::string out;
    for (const Token* t : tokens) {
        if (!out.empty() && t->space_before) out.push_back(' ');
        out += t->text;
    }
    if (tokens.empty()) return std::nullopt;
    return out;
}

// A local part: dots glue words; other spacing (invalid, but seen) is kept.
std::string local_text(const Span& tokens) {
    std::string out;
    const Token* previous = nullptr;
    for (const Token* t : tokens) {
        if (previous && t->space_before && !t->is('.') && !previous->is('.')) out.push_back(' ');
        out += t->text;
        previous = t;
    }
    return out;
}

std::string domain_text(const Span& tokens) {
    std::string out;
    for (const Token* t : tokens) out += t->text;
    return out;
}

void fill_addr_spec(const Span& tokens, AddressEntry& entry) {
    size_t at = tokens.size();
    for (size_t i = tokens.size(); i-- > 0;) {
        if (tokens[i]->is('@')) {
            at = i;
            break;
        }
    }
    if (at == tokens.size()) {
        entry.mailbox = local_text(tokens);
        return;
    }
    entry.mailbox = local_text(Span(tokens.begin(), tokens.begin() + static_cast<std::ptrdiff_t>(at)));
    entry.host = domain_text(Span(tokens.begin() + static_cast<std::ptrdiff_t>(at) + 1, tokens.end()));
}

// One mailbox from the tokens between separators; nullopt when empty.
std::optional<AddressEntry> parse_mailbox(const Span& item) {
    Span words;
    const Token* comment = nullptr;
    for (const Token* t : item) {
        if (t->type == TokenType::comment) {
            comment = t;
        } else {
            words.push_back(t);
        }
    }
    if (words.empty()) return std::nullopt;
    AddressEntry entry;
    size_t open = words.size();
    for (size_t i = 0; i < words.size(); ++i) {
        if (words[i]->is('<')) {
            open = i;
            break;
        }
    }
    if (open == words.size()) {
        fill_addr_spec(words, entry);
    } else {
        entry.name = phrase_text(Span(words.begin(), words.begin() + static_cast<std::ptrdiff_t>(open)));
        Span inside;
        for (size_t i = open + 1; i < words.size() && !words[i]->is('>'); ++i) inside.push_back(words[i]);
        // Obsolete route: "@a,@b:" before the addr-spec.
        if (!inside.empty() && inside.front()->is('@')) {
            for (size_t i = 0; i < inside.size(); ++i) {
                if (!inside[i]->is(':')) continue;
                entry.route = domain_text(Span(inside.begin(), inside.begin() + static_cast<std::ptrdiff_t>(i)));
                inside.erase(inside.begin(), inside.begin() + static_cast<std::ptrdiff_t>(i) + 1);
                break;
            }
        }
        fill_addr_spec(inside, entry);
    }
    if (!entry.name && comment) entry.name = comment->text;
    return entry;
}

}  // namespace

std::vector<AddressEntry> parse_address_list(std::string_view text, size_t max_entries) {
    std::vector<Token> tokens = tokenize(text);
    std::vector<AddressEntry> out;
    bool in_group = false;
    size_t i = 0;
    while (i < tokens.size() && out.size() < max_entries) {
        // Collect one item: up to a ',' or ';' outside angle brackets, or a
        // ':' that starts a group.
        Span item;
        int angle = 0;
        char stop = 0;
        for (; i < tokens.size(); ++i) {
            const Token& t = tokens[i];
            if (t.is('<')) ++angle;
            if (t.is('>') && angle > 0) --angle;
            if (angle == 0 && (t.is(',') || t.is(';') || (t.is(':') && !in_group))) {
                stop = t.text[0];
                ++i;
                break;
            }
            item.push_back(&t);
        }
        if (stop == ':') {
            Span name;
            for (const Token* t : item)
                if (t->type != TokenType::comment) name.push_back(t);
            AddressEntry group{AddressEntry::Kind::group_start, std::nullopt, std::nullopt,
                               phrase_text(name).value_or(""), std::nullopt};
            out.push_back(std::move(group));
            in_group = true;
            continue;
        }
        if (auto entry = parse_mailbox(item)) out.push_back(std::move(*entry));
        if (stop == ';' && in_group && out.size() < max_entries) {
            out.push_back({AddressEntry::Kind::group_end, std::nullopt, std::nullopt, "", std::nullopt});
            in_group = false;
        }
    }
    if (in_group) {
        // Close the group, making room for the marker if the list is full.
        bool full = out.size() >= max_entries;
        if (full && out.back().kind == AddressEntry::Kind::group_start) {
            out.pop_back();
        } else {
            if (full) out.pop_back();
            out.push_back({AddressEntry::Kind::group_end, std::nullopt, std::nullopt, "", std::nullopt});
        }
    }
    return out;
}

}  // namespace pochta::mime
