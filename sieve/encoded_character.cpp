#include "sieve/encoded_character.hpp"

#include <vector>

#include "common/util/strings.hpp"

namespace pochta::sieve {

namespace {

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// The hex numbers of "41 42" (between "${hex:" or "${unicode:" and "}"),
// each of 1..max_digits digits; nullopt when malformed.
std::optional<std::vector<unsigned>> hex_numbers(std::string_view body, size_t min_digits, size_t max_digits) {
    std::vector<unsigned> numbers;
    size_t i = 0;
    while (i < body.size()) {
        if (is_blank(body[i])) {
            i++;
            continue;
        }
        size_t start = i;
        unsigned value = 0;
        while (i < body.size() && hex_digit_value(body[i]) >= 0) {
            if (i - start >= max_digits) return std::nullopt;
            value = value * 16 + static_cast<unsigned>(hex_digit_value(body[i]));
            i++;
        }
        if (i - start < min_digits) return std::nullopt;
        if (i < body.size() && !is_blank(body[i])) return std::nullopt;
        numbers.push_back(value);
    }
    return numbers;
}

}  // namespace

std::optional<std::string> decode_encoded_characters(std::string_view text) {
    std::string out;
    size_t i = 0;
    while (i < text.size()) {
        size_t open = text.find("${", i);
        if (open == std::string_view::npos) break;
        out.append(text.substr(i, open - i));
        size_t close = text.find('}', open);
        size_t colon = text.find(':', open);
        if (close == std::string_view::npos || colon == std::string_view::npos || colon > close) {
            out.append("${");
            i = open + 2;
            continue;
        }
        std::string_view kind = text.substr(open + 2, colon - open - 2);
        std::string_view body = text.substr(colon + 1, close - colon - 1);
        bool hex = iequals(kind, "hex");
        bool unicode = iequals(kind, "unicode");
        auto numbers = (hex || unicode) ? hex_numbers(body, 1, hex ? 2 : 8) : std::nullopt;
        if (!numbers) {
            out.append("${");
            i = open + 2;
            continue;
        }
        for (unsigned n : *numbers) {
            if (hex) {
                out += static_cast<char>(n);
            } else {
                if (n > 0x10FFFF || (n >= 0xD800 && n <= 0xDFFF)) return std::nullopt;
                append_utf8(out, n);
            }
        }
        i = close + 1;
    }
    out.append(text.substr(i));
    return out;
}

}  // namespace pochta::sieve
