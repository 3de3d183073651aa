// Recursive descent over the RFC 8259 grammar; depth, size and value
// count are checked before anything grows (README.md, "Spam").
#include "common/util/json.hpp"

#include <cstdlib>

#include "common/util/strings.hpp"

namespace pochta {

const JsonValue* JsonValue::find(std::string_view name) const {
    if (kind != Kind::object) return nullptr;
    for (size_t i = 0; i < keys.size(); ++i)
        if (keys[i] == name) return &items[i];
    return nullptr;
}

namespace {

class Reader {
public:
    Reader(std::string_view text, const JsonLimits& limits) : text_(text), limits_(limits) {}

    std::optional<JsonValue> document() {
        JsonValue v;
        if (!value(v, 0)) return std::nullopt;
        space();
        if (at_ != text_.size()) return std::nullopt;
        return v;
    }

private:
    void space() {
        while (at_ < text_.size() && (text_[at_] == ' ' || text_[at_] == '\t' || text_[at_] == '\n' || text_[at_] == '\r'))
            ++at_;
    }
    bool take(char c) {
        space();
        if (at_ < text_.size() && text_[at_] == c) {
            ++at_;
            return true;
        }
        return false;
    }
    bool word(std::string_view w) {
        if (text_.substr(at_, w.size()) != w) return false;
        at_ += w.size();
        return true;
    }

    bool value(JsonValue& v, size_t depth) {
        if (depth > limits_.max_depth || ++values_ > limits_.max_values) return false;
        space();
        if (at_ >= text_.size()) return false;
        switch (text_[at_]) {
            case '{': return object(v, depth);
            case '[': return array(v, depth);
            case '"': v.kind = JsonValue::Kind::string; return string(v.string);
            case 't': v.kind = JsonValue::Kind::boolean; v.boolean = true; return word("true");
            case 'f': v.kind = JsonValue::Kind::boolean; return word("false");
            case 'n': return word("null");
            default: return number(v);
        }
    }

    bool object(JsonValue& v, size_t depth) {
        v.kind = JsonValue::Kind::object;
        ++at_;
        if (take('}')) return true;
        do {
            space();
            std::string key;
            if (!string(key) || !take(':')) return false;
            JsonValue member;
            if (!value(member, depth + 1)) return false;
            v.keys.push_back(std::move(key));
            v.items.push_back(std::move(member));
        } while (take(','));
        return take('}');
    }

    bool array(JsonValue& v, size_t depth) {
        v.kind = JsonValue::Kind::array;
        ++at_;
        if (take(']')) return true;
        do {
            JsonValue item;
            if (!value(item, depth + 1)) return false;
            v.items.push_back(std::move(item));
        } while (take(','));
        return take(']');
    }

    bool number(JsonValue& v) {
        size_t start = at_;
        while (at_ < text_.size() && std::string_view("+-0123456789.eE").find(text_[at_]) != std::string_view::npos) ++at_;
        if (at_ == start || at_ - start > 64) return false;
        std::string digits(text_.substr(start, at_ - start));
        char* end = nullptr;
        v.number = std::strtod(digits.c_str(), &end);
        v.kind = JsonValue::Kind::number;
        return end == digits.c_str() + digits.size();
    }

    bool hex4(unsigned& cp) {
        if (at_ + 4 > text_.size()) return false;
        cp = 0;
        for (int i = 0; i < 4; ++i) {
            char c = text_[at_++];
            cp <<= 4;
            if (c >= '0' && c <= '9') cp |= static_cast<unsigned>(c - '0');
            else if (c >= 'a' && c <= 'f') cp |= static_cast<unsigned>(c - 'a' + 10);
            else if (c >= 'A' && c <= 'F') cp |= static_cast<unsigned>(c - 'A' + 10);
            else return false;
        }
        return true;
    }

    bool escape(std::string& out) {
        if (at_ >= text_.size()) return false;
        char c = text_[at_++];
        switch (c) {
            case '"': case '\\': case '/': out += c; return true;
            case 'b': out += '\b'; return true;
            case 'f': out += '\f'; return true;
            case 'n': out += '\n'; return true;
            case 'r': out += '\r'; return true;
            case 't': out += '\t'; return true;
            case 'u': break;
            default: return false;
        }
        unsigned cp = 0;
        if (!hex4(cp)) return false;
        if (cp >= 0xd800 && cp < 0xdc00 && text_.substr(at_, 2) == "\\u") {
            at_ += 2;
            unsigned low = 0;
            if (!hex4(low) || low < 0xdc00 || low > 0xdfff) return false;
            cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
        } else if (cp >= 0xd800 && cp < 0xe000) {
            cp = 0xfffd;   // a lone surrogate
        }
        append_utf8(out, cp);
        return true;
    }

    bool string(std::string& out) {
        if (at_ >= text_.size() || text_[at_] != '"') return false;
        ++at_;
        while (at_ < text_.size()) {
            char c = text_[at_++];
            if (c == '"') return true;
            if (static_cast<unsigned char>(c) < 0x20) return false;
            if (c != '\\') out += c;
            else if (!escape(out)) return false;
        }
        return false;
    }

    std::string_view text_;
    const JsonLimits& limits_;
    size_t at_ = 0;
    size_t values_ = 0;
};

}  // namespace

std::optional<JsonValue> parse_json(std::string_view text, const JsonLimits& limits) {
    if (text.size() > limits.max_bytes) return std::nullopt;
    return Reader(text, limits).document();
}

}  // namespace pochta
