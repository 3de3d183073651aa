#include "common/mime/encoded_word.hpp"

#include <optional>

#include "common/mime/charset.hpp"
#include "common/mime/transfer_encoding.hpp"
#include "common/util/strings.hpp"

namespace pochta::mime {

namespace {

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

std::string decode_q(std::string_view text) {
    std::string out;
    for (size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (c == '_') {
            out.push_back(' ');
        } else if (c == '=' && i + 2 < text.size() && hex_digit_value(text[i + 1]) >= 0 &&
                   hex_digit_value(text[i + 2]) >= 0) {
            out.push_back(static_cast<char>(hex_digit_value(text[i + 1]) * 16 + hex_digit_value(text[i + 2])));
            i += 2;
        } else {
            out.push_back(c);
        }
    }
    return out;
}

struct Word {
    size_t length;        // bytes of "=?...?=" in the input
    std::string decoded;  // UTF-8
};

// An encoded word starting at text[pos] ("=?"), decoded; nullopt when it is
// malformed or its charset is unknown.
std::optional<Word> read_word(std::string_view text, size_t pos) {
    size_t q1 = text.find('?', pos + 2);
    if (q1 == std::string_view::npos || q1 + 2 >= text.size() || text[q1 + 2] != '?') return std::nullopt;
    std::string_view charset = text.substr(pos + 2, q1 - pos - 2);
    char encoding = text[q1 + 1];
    size_t data_start = q1 + 3;
    size_t close = text.find("?=", data_start);
    if (close == std::string_view::npos) return std::nullopt;
    std::string_view data = text.substr(data_start, close - data_start);
    for (char c : charset)
        if (is_space(c)) return std::nullopt;
    for (char c : data)
        if (is_space(c)) return std::nullopt;
    if (size_t star = charset.find('*'); star != std::string_view::npos) charset = charset.substr(0, star);
    if (charset.empty()) return std::nullopt;

    std::string bytes;
    if (encoding == 'B' || encoding == 'b') {
        bytes = decode_base64(data);
    } else if (encoding == 'Q' || encoding == 'q') {
        bytes = decode_q(data);
    } else {
        return std::nullopt;
    }
    auto utf8 = to_utf8(bytes, charset);
    if (!utf8) return std::nullopt;
    return Word{close + 2 - pos, std::move(*utf8)};
}

}  // namespace

std::string decode_encoded_words(std::string_view text) {
    std::string out;
    bool after_word = false;
    size_t plain_start = 0;
    size_t pos = 0;
    auto flush_plain = [&](size_t until) {
        if (until > plain_start) out += sanitize_utf8(text.substr(plain_start, until - plain_start));
    };
    while (pos < text.size()) {
        if (text[pos] == '=' && pos + 1 < text.size() && text[pos + 1] == '?') {
            if (auto word = read_word(text, pos)) {
                // after_word still set: only whitespace since the last word, which RFC 2047 drops.
                if (!after_word) flush_plain(pos);
                out += word->decoded;
                pos += word->length;
                plain_start = pos;
                after_word = true;
                continue;
            }
        }
        if (!is_space(text[pos])) after_word = false;
        ++pos;
    }
    flush_plain(text.size());
    return out;
}

namespace {

// Bytes of valid UTF-8 taken per encoded word: 45 encode to 60 base64
// characters, which with "=?utf-8?b?" and "?=" make 72 of the 75 allowed.
constexpr size_t encoded_word_bytes = 45;

bool printable_ascii(std::string_view text) {
    for (unsigned char c : text)
        if (c < 0x20 || c > 0x7e) return false;
    return true;
}

// Where the UTF-8 character holding text[at] starts, looking back.
size_t character_start(std::string_view text, size_t at) {
    while (at > 0 && (static_cast<unsigned char>(text[at]) & 0xC0) == 0x80) --at;
    return at;
}

}  // namespace

std::string encode_header_text(std::string_view text) {
    std::string clean = sanitize_utf8(text);
    for (char& c : clean)
        if (c == '\r' || c == '\n') c = ' ';
    if (printable_ascii(clean)) return clean;
    std::string out;
    std::string_view rest = clean;
    while (!rest.empty()) {
        size_t take = rest.size();
        if (take > encoded_word_bytes) {
            take = character_start(rest, encoded_word_bytes);
            if (take == 0) take = encoded_word_bytes;   // no boundary: cannot happen in valid UTF-8
        }
        if (!out.empty()) out += "\r\n ";
        out += "=?utf-8?b?" + base64_encode(rest.substr(0, take)) + "?=";
        rest.remove_prefix(take);
    }
    return out;
}

}  // namespace pochta::mime
