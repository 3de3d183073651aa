#include "common/mime/charset.hpp"

#include <iconv.h>

#include <cerrno>

#include "common/util/strings.hpp"

namespace pochta::mime {

namespace {

constexpr std::string_view replacement = "\xEF\xBF\xBD";

size_t ascii_run_end(std::string_view s, size_t i) {
    while (i < s.size() && static_cast<unsigned char>(s[i]) < 0x80) ++i;
    return i;
}

// Length of the valid UTF-8 sequence at s[i], 0 when invalid (overlongs,
// surrogates and code points past U+10FFFF are invalid).
size_t utf8_sequence(std::string_view s, size_t i) {
    auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
    unsigned char c = byte(i);
    if (c < 0x80) return 1;
    size_t len;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    } else {
        return 0;
    }
    if (i + len > s.size()) return 0;
    if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
    for (size_t k = 2; k < len; ++k)
        if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
    return len;
}

// iconv accepts suffixes like "//TRANSLIT" and file-like names; only plain
// charset names are passed to it.
bool plain_charset_name(std::string_view name) {
    if (name.empty() || name.size() > 40) return false;
    for (char c : name) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                  c == '_' || c == '.' || c == ':';
        if (!ok) return false;
    }
    return true;
}

class Converter {
public:
    explicit Converter(const std::string& charset) : cd_(iconv_open("UTF-8", charset.c_str())) {}
    ~Converter() {
        if (ok()) iconv_close(cd_);
    }
    Converter(const Converter&) = delete;
    Converter& operator=(const Converter&) = delete;
    bool ok() const { return cd_ != reinterpret_cast<iconv_t>(-1); }

    std::string convert(std::string_view text) {
        std::string out;
        out.reserve(text.size() + text.size() / 2);
        char* in = const_cast<char*>(text.data());
        size_t in_left = text.size();
        char buffer[4096];
        while (in_left > 0) {
            char* o = buffer;
            size_t o_left = sizeof buffer;
            size_t r = iconv(cd_, &in, &in_left, &o, &o_left);
            out.append(buffer, static_cast<size_t>(o - buffer));
            if (r != static_cast<size_t>(-1)) continue;
            if (errno == E2BIG) continue;
            // Invalid or truncated input: one replacement character per bad byte.
            out.append(replacement);
            ++in;
            --in_left;
            iconv(cd_, nullptr, nullptr, nullptr, nullptr);
        }
        char* o = buffer;
        size_t o_left = sizeof buffer;
        iconv(cd_, nullptr, nullptr, &o, &o_left);
        out.append(buffer, static_cast<size_t>(o - buffer));
        return out;
    }

private:
    iconv_t cd_;
};

}  // namespace

std::string sanitize_utf8(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (size_t i = 0; i < text.size();) {
        const size_t ascii_end = ascii_run_end(text, i);   // most text is ASCII: copied by the run
        if (ascii_end > i) {
            out.append(text.substr(i, ascii_end - i));
            i = ascii_end;
            continue;
        }
        size_t len = utf8_sequence(text, i);
        if (len == 0) {
            out.append(replacement);
            ++i;
        } else {
            out.append(text.substr(i, len));
            i += len;
        }
    }
    return out;
}

std::optional<std::string> to_utf8(std::string_view text, std::string_view charset) {
    std::string name = to_lower(charset);
    if (name == "utf-8" || name == "utf8") return sanitize_utf8(text);
    if (name == "us-ascii" || name == "ascii") {
        // 8-bit in "us-ascii" text is common in practice; it is usually UTF-8.
        return sanitize_utf8(text);
    }
    if (!plain_charset_name(name)) return std::nullopt;
    Converter converter(name);
    if (!converter.ok()) return std::nullopt;
    return converter.convert(text);
}

}  // namespace pochta::mime
