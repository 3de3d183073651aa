#include "common/mime/html_text.hpp"

#include <array>

#include "common/util/strings.hpp"

namespace pochta::mime {

namespace {

constexpr std::array<std::string_view, 24> kBlockTags{
    "address", "article", "blockquote", "br", "dd", "div", "dl", "dt", "footer", "h1", "h2", "h3",
    "h4", "h5", "h6", "header", "hr", "li", "ol", "p", "pre", "table", "td", "tr"};

struct NamedEntity {
    std::string_view name;
    uint32_t cp;
};
constexpr std::array<NamedEntity, 12> kEntities{{
    {"amp", '&'}, {"lt", '<'}, {"gt", '>'}, {"quot", '"'}, {"apos", '\''}, {"nbsp", ' '},
    {"shy", 0xAD}, {"copy", 0xA9}, {"reg", 0xAE}, {"euro", 0x20AC}, {"ndash", 0x2013}, {"mdash", 0x2014},
}};
constexpr size_t kMaxEntity = 10;  // "&#x10FFFF;" is the longest one read

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_name_char(char c) { return is_alpha(c) || (c >= '0' && c <= '9'); }

// The element name of the tag body after '<' (or "</"), lower case.
std::string tag_name(std::string_view tag) {
    size_t start = !tag.empty() && tag[0] == '/' ? 1 : 0;
    size_t end = start;
    while (end < tag.size() && is_name_char(tag[end])) ++end;
    return to_lower(tag.substr(start, end - start));
}

bool is_block(std::string_view name) {
    for (std::string_view b : kBlockTags)
        if (name == b) return true;
    return false;
}

// The code point of the reference starting at text[0] == '&' and its
// length, or 0 when it is not one this reads.
size_t read_entity(std::string_view text, uint32_t& cp) {
    size_t semi = text.substr(0, kMaxEntity + 1).find(';');
    if (semi == std::string_view::npos || semi < 2) return 0;
    std::string_view body = text.substr(1, semi - 1);
    if (body[0] == '#') {
        bool hex = body.size() > 1 && (body[1] == 'x' || body[1] == 'X');
        std::string_view digits = body.substr(hex ? 2 : 1);
        if (digits.empty()) return 0;
        uint32_t value = 0;
        for (char c : digits) {
            int d = (c >= '0' && c <= '9') ? c - '0'
                    : hex && (c | 0x20) >= 'a' && (c | 0x20) <= 'f' ? (c | 0x20) - 'a' + 10
                                                                      : -1;
            if (d < 0) return 0;
            value = value * (hex ? 16 : 10) + static_cast<uint32_t>(d);
        }
        if (value == 0 || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) return 0;
        cp = value;
        return semi + 1;
    }
    for (const NamedEntity& e : kEntities)
        if (body == e.name) {
            cp = e.cp;
            return semi + 1;
        }
    return 0;
}

class Extractor {
public:
    explicit Extractor(std::string_view html) : in_(html) {}

    std::string run() {
        while (pos_ < in_.size()) {
            char c = in_[pos_];
            if (c == '<') {
                tag();
            } else if (c == '&') {
                entity();
            } else {
                if (is_space(c)) space();
                else out_ += c;
                ++pos_;
            }
        }
        return std::move(out_);
    }

private:
    void space() {
        if (!out_.empty() && out_.back() != ' ' && out_.back() != '\n') out_ += ' ';
    }
    void line_break() {
        while (!out_.empty() && out_.back() == ' ') out_.pop_back();
        if (!out_.empty() && out_.back() != '\n') out_ += '\n';
    }
    // Skips to just after `end` (or to the end of the input).
    void skip_past(std::string_view end) {
        size_t found = in_.find(end, pos_);
        pos_ = found == std::string_view::npos ? in_.size() : found + end.size();
    }
    void tag() {
        std::string_view rest = in_.substr(pos_ + 1);
        if (rest.starts_with("!--")) return skip_past("-->");
        if (rest.empty() || !(is_alpha(rest[0]) || rest[0] == '/' || rest[0] == '!' || rest[0] == '?')) {
            out_ += '<';  // a lone '<' is text
            ++pos_;
            return;
        }
        skip_past(">");
        std::string name = tag_name(rest);
        if (rest[0] != '/' && (name == "script" || name == "style")) return skip_until_close(name);
        if (is_block(name)) line_break();
    }
    void skip_until_close(const std::string& name) {
        while (pos_ < in_.size()) {
            skip_past("</");
            if (tag_name(in_.substr(pos_)) == name) return skip_past(">");
        }
    }
    void entity() {
        uint32_t cp = 0;
        size_t len = read_entity(in_.substr(pos_), cp);
        if (len == 0) {
            out_ += '&';
            ++pos_;
            return;
        }
        if (cp == ' ') {
            space();  // &nbsp; is white space to a reader
        } else {
            append_utf8(out_, cp);
        }
        pos_ += len;
    }

    std::string_view in_;
    size_t pos_ = 0;
    std::string out_;
};

}  // namespace

std::string html_text(std::string_view html) { return Extractor(html).run(); }

}  // namespace pochta::mime
