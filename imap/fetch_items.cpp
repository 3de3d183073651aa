#include "imap/fetch_items.hpp"

#include <array>

#include "common/util/strings.hpp"

namespace pochta::imap {

namespace {

constexpr uint64_t kMaxNumber = INT64_MAX;
constexpr size_t kMaxParts = 100;  // deeper than any MIME parser will nest
constexpr size_t kMaxFields = 500;

using Kind = FetchItem::Kind;
using Text = FetchSection::Text;

struct SimpleItem {
    std::string_view name;
    Kind kind;
};
constexpr std::array<SimpleItem, 15> kSimpleItems{{
    {"ENVELOPE", Kind::envelope},
    {"FLAGS", Kind::flags},
    {"INTERNALDATE", Kind::internaldate},
    {"UID", Kind::uid},
    {"MODSEQ", Kind::modseq},
    {"RFC822", Kind::rfc822},
    {"RFC822.HEADER", Kind::rfc822_header},
    {"RFC822.SIZE", Kind::rfc822_size},
    {"RFC822.TEXT", Kind::rfc822_text},
    {"BODY", Kind::body},
    {"BODYSTRUCTURE", Kind::bodystructure},
    {"EMAILID", Kind::emailid},
    {"THREADID", Kind::threadid},
    {"SAVEDATE", Kind::savedate},
    {"PREVIEW", Kind::preview},
}};

std::string upper(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    return out;
}

FetchItem simple(Kind kind) {
    FetchItem item;
    item.kind = kind;
    return item;
}

// A header field name (RFC 5322 ftext: printable, no ':' and no space),
// minus what could not be echoed as an atom in the response name.
bool valid_field(std::string_view name) {
    if (name.empty() || name.size() > 256) return false;
    for (unsigned char c : name) {
        if (c <= 0x20 || c >= 0x7f || c == ':') return false;
        if (c == '(' || c == ')' || c == '{' || c == '"' || c == '\\' || c == '[' || c == ']' || c == '%' ||
            c == '*')
            return false;
    }
    return true;
}

class SectionParser {
public:
    SectionParser(std::string_view text, std::string& error) : s_(text), error_(error) {}

    // section-spec of BODY[...]: [part] [. text] or text; MIME needs a part.
    bool parse(FetchSection& out, bool parts_only) {
        if (!parse_parts(out.part)) return false;
        if (pos_ == s_.size()) return true;
        if (parts_only) return fail("BINARY sections hold only part numbers");
        size_t end = s_.find(' ', pos_);
        std::string name = upper(s_.substr(pos_, end == std::string_view::npos ? end : end - pos_));
        pos_ = end == std::string_view::npos ? s_.size() : end;
        if (name == "HEADER") out.text = Text::header;
        else if (name == "TEXT") out.text = Text::text;
        else if (name == "MIME" && !out.part.empty()) out.text = Text::mime;
        else if (name == "HEADER.FIELDS") out.text = Text::header_fields;
        else if (name == "HEADER.FIELDS.NOT") out.text = Text::header_fields_not;
        else return fail("invalid section");
        if (out.text == Text::header_fields || out.text == Text::header_fields_not) return parse_fields(out.fields);
        return pos_ == s_.size() || fail("invalid section");
    }

private:
    bool fail(std::string reason) {
        error_ = std::move(reason);
        return false;
    }

    // "1.2.3" or "1.2.TEXT": numbers, each followed by '.' or the end.
    bool parse_parts(std::vector<uint32_t>& part) {
        while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') {
            size_t start = pos_;
            while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
            std::optional<uint64_t> n = parse_uint(s_.substr(start, pos_ - start));
            if (!n || *n == 0 || *n > UINT32_MAX || s_[start] == '0') return fail("invalid section part");
            if (part.size() >= kMaxParts) return fail("section part nested too deeply");
            part.push_back(static_cast<uint32_t>(*n));
            if (pos_ == s_.size()) return true;
            if (s_[pos_] != '.' || pos_ + 1 == s_.size()) return fail("invalid section part");
            ++pos_;
        }
        return true;
    }

    // SP "(" field *(SP field) ")" up to the end; fields are atoms or quoted.
    bool parse_fields(std::vector<std::string>& fields) {
        if (s_.substr(pos_, 2) != " (" || s_.back() != ')') return fail("header field list expected");
        pos_ += 2;
        size_t end = s_.size() - 1;
        while (pos_ < end) {
            std::string field;
            if (s_[pos_] == '"') {
                if (!read_quoted(end, field)) return false;
            } else {
                size_t stop = s_.find_first_of(" ()\"", pos_);
                if (stop == std::string_view::npos || stop > end) stop = end;
                field = s_.substr(pos_, stop - pos_);
                pos_ = stop;
            }
            if (!valid_field(field)) return fail("invalid header field name");
            if (fields.size() >= kMaxFields) return fail("too many header fields");
            fields.push_back(std::move(field));
            if (pos_ < end && (s_[pos_] != ' ' || pos_ + 1 == end)) return fail("invalid header field list");
            if (pos_ < end) ++pos_;
        }
        return !fields.empty() || fail("empty header field list");
    }

    bool read_quoted(size_t end, std::string& out) {
        for (++pos_; pos_ < end; ++pos_) {
            char c = s_[pos_];
            if (c == '"') {
                ++pos_;
                return true;
            }
            if (c == '\\' && pos_ + 1 < end) c = s_[++pos_];
            out += c;
        }
        return fail("unterminated quoted string");
    }

    std::string_view s_;
    size_t pos_ = 0;
    std::string& error_;
};

// "<origin.count>" (the whole of `text`).
bool parse_partial(std::string_view text, FetchPartial& out, std::string& error) {
    size_t dot = text.find('.');
    if (text.size() < 5 || text.front() != '<' || text.back() != '>' || dot == std::string_view::npos) {
        error = "invalid partial";
        return false;
    }
    std::optional<uint64_t> origin = parse_uint(text.substr(1, dot - 1));
    std::optional<uint64_t> count = parse_uint(text.substr(dot + 1, text.size() - dot - 2));
    if (!origin || !count || *count == 0 || *origin > kMaxNumber || *count > kMaxNumber) {
        error = "invalid partial";
        return false;
    }
    out = {*origin, *count};
    return true;
}

// The ']' that closes the section opening at text[open], skipping quoted strings.
size_t section_end(std::string_view text, size_t open) {
    for (size_t i = open + 1; i < text.size(); ++i) {
        if (text[i] == ']') return i;
        if (text[i] == '"') {
            for (++i; i < text.size() && text[i] != '"'; ++i)
                if (text[i] == '\\') ++i;
        }
    }
    return std::string_view::npos;
}

std::string section_text(const FetchSection& section) {
    std::string out;
    for (uint32_t n : section.part) {
        if (!out.empty()) out += '.';
        out += std::to_string(n);
    }
    std::string_view name;
    switch (section.text) {
        case Text::none: return out;
        case Text::header: name = "HEADER"; break;
        case Text::header_fields: name = "HEADER.FIELDS"; break;
        case Text::header_fields_not: name = "HEADER.FIELDS.NOT"; break;
        case Text::text: name = "TEXT"; break;
        case Text::mime: name = "MIME"; break;
    }
    if (!out.empty()) out += '.';
    out += name;
    if (section.text == Text::header_fields || section.text == Text::header_fields_not) {
        out += " (";
        for (size_t i = 0; i < section.fields.size(); ++i) {
            if (i > 0) out += ' ';
            out += upper(section.fields[i]);
        }
        out += ')';
    }
    return out;
}

bool add_macro(std::string_view name, std::vector<FetchItem>& items) {
    static constexpr Kind fast[] = {Kind::flags, Kind::internaldate, Kind::rfc822_size};
    bool all = iequals(name, "ALL");
    bool full = iequals(name, "FULL");
    if (!all && !full && !iequals(name, "FAST")) return false;
    for (Kind kind : fast) items.push_back(simple(kind));
    if (all || full) items.push_back(simple(Kind::envelope));
    if (full) items.push_back(simple(Kind::body));
    return true;
}

bool parse_modifiers(const Token& list, bool uid, FetchRequest& request, std::string& error) {
    const std::vector<Token>& mods = list.children;
    for (size_t i = 0; i < mods.size(); ++i) {
        std::string_view name = mods[i].is_atom() ? std::string_view(mods[i].text) : std::string_view();
        if (iequals(name, "CHANGEDSINCE") && !request.changedsince) {
            std::optional<uint64_t> n;
            if (i + 1 < mods.size() && mods[i + 1].is_atom()) n = parse_uint(mods[i + 1].text);
            if (!n || *n > kMaxNumber) {
                error = "CHANGEDSINCE needs a mod-sequence";
                return false;
            }
            request.changedsince = *n;
            ++i;
        } else if (iequals(name, "VANISHED") && !request.vanished) {
            request.vanished = true;
        } else {
            error = "invalid FETCH modifier";
            return false;
        }
    }
    // RFC 7162 3.2.6: VANISHED only in UID FETCH, and only with CHANGEDSINCE.
    if (request.vanished && (!uid || !request.changedsince)) {
        error = "VANISHED needs UID FETCH and CHANGEDSINCE";
        return false;
    }
    return true;
}

}  // namespace

std::string FetchItem::response_name() const {
    switch (kind) {
        case Kind::envelope: return "ENVELOPE";
        case Kind::flags: return "FLAGS";
        case Kind::internaldate: return "INTERNALDATE";
        case Kind::uid: return "UID";
        case Kind::modseq: return "MODSEQ";
        case Kind::rfc822: return "RFC822";
        case Kind::rfc822_header: return "RFC822.HEADER";
        case Kind::rfc822_size: return "RFC822.SIZE";
        case Kind::rfc822_text: return "RFC822.TEXT";
        case Kind::body: return "BODY";
        case Kind::bodystructure: return "BODYSTRUCTURE";
        case Kind::emailid: return "EMAILID";
        case Kind::threadid: return "THREADID";
        case Kind::savedate: return "SAVEDATE";
        case Kind::preview: return "PREVIEW";
        case Kind::body_section:
        case Kind::binary:
        case Kind::binary_size: break;
    }
    std::string out = kind == Kind::body_section ? "BODY[" : kind == Kind::binary ? "BINARY[" : "BINARY.SIZE[";
    out += section_text(section);
    out += ']';
    if (partial) out += '<' + std::to_string(partial->origin) + '>';
    return out;
}

bool FetchItem::sets_seen() const {
    return kind == Kind::rfc822 || kind == Kind::rfc822_text ||
           ((kind == Kind::body_section || kind == Kind::binary) && !peek);
}

std::optional<FetchItem> parse_fetch_item(std::string_view text, std::string& error) {
    size_t open = text.find('[');
    std::string name = upper(text.substr(0, open));
    if (open == std::string_view::npos) {
        for (const SimpleItem& s : kSimpleItems)
            if (name == s.name) return simple(s.kind);
        error = "unknown FETCH item";
        return std::nullopt;
    }
    FetchItem item;
    if (name == "BODY" || name == "BODY.PEEK") item.kind = Kind::body_section;
    else if (name == "BINARY" || name == "BINARY.PEEK") item.kind = Kind::binary;
    else if (name == "BINARY.SIZE") item.kind = Kind::binary_size;
    else {
        error = "unknown FETCH item";
        return std::nullopt;
    }
    item.peek = name.ends_with(".PEEK");
    size_t close = section_end(text, open);
    if (close == std::string_view::npos) {
        error = "unterminated section";
        return std::nullopt;
    }
    SectionParser sections(text.substr(open + 1, close - open - 1), error);
    if (!sections.parse(item.section, item.kind != Kind::body_section)) return std::nullopt;
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
        if (item.kind == Kind::binary_size) {
            error = "BINARY.SIZE takes no partial";
            return std::nullopt;
        }
        FetchPartial partial;
        if (!parse_partial(rest, partial, error)) return std::nullopt;
        item.partial = partial;
    }
    return item;
}

std::optional<FetchRequest> parse_fetch(std::span<const Token> args, bool uid, std::string& error) {
    if (args.empty() || args.size() > 2) {
        error = args.empty() ? "FETCH needs items" : "too many FETCH arguments";
        return std::nullopt;
    }
    FetchRequest request;
    const Token& what = args[0];
    if (what.is_atom()) {
        if (!add_macro(what.text, request.items)) {
            std::optional<FetchItem> item = parse_fetch_item(what.text, error);
            if (!item) return std::nullopt;
            request.items.push_back(std::move(*item));
        }
    } else if (what.is_list() && !what.children.empty()) {
        const std::vector<Token>& list = what.children;
        for (size_t i = 0; i < list.size(); ++i) {
            const Token& t = list[i];
            std::optional<FetchItem> item = t.is_atom() ? parse_fetch_item(t.text, error) : std::nullopt;
            if (!item) {
                if (!t.is_atom()) error = "invalid FETCH item";
                return std::nullopt;
            }
            // "PREVIEW (LAZY)" (RFC 8970 3.1): the only modifier there is.
            if (item->kind == Kind::preview && i + 1 < list.size() && list[i + 1].is_list()) {
                const auto& mods = list[++i].children;
                if (mods.size() != 1 || !mods[0].is_atom() || !iequals(mods[0].text, "LAZY")) {
                    error = "invalid PREVIEW modifier";
                    return std::nullopt;
                }
            }
            request.items.push_back(std::move(*item));
        }
    } else {
        error = "invalid FETCH items";
        return std::nullopt;
    }
    if (args.size() == 2) {
        if (!args[1].is_list()) {
            error = "FETCH modifiers must be a list";
            return std::nullopt;
        }
        if (!parse_modifiers(args[1], uid, request, error)) return std::nullopt;
    }
    return request;
}

}  // namespace pochta::imap
