#include "imap/mutf7.hpp"

#include <cstdint>
#include <vector>

namespace pochta::imap {

namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

bool printable_ascii(uint32_t c) { return c >= 0x20 && c <= 0x7e; }

int base64_value(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == ',') return 63;
    return -1;
}

// Decodes one UTF-8 sequence at s[pos]; returns the code point and advances
// pos, or returns UINT32_MAX for an invalid sequence.
uint32_t next_code_point(std::string_view s, size_t& pos) {
    auto byte = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
    unsigned char b0 = byte(pos);
    if (b0 < 0x80) {
        ++pos;
        return b0;
    }
    size_t len;
    uint32_t cp;
    uint32_t min;
    if ((b0 & 0xe0) == 0xc0) { len = 2; cp = b0 & 0x1f; min = 0x80; }
    else if ((b0 & 0xf0) == 0xe0) { len = 3; cp = b0 & 0x0f; min = 0x800; }
    else if ((b0 & 0xf8) == 0xf0) { len = 4; cp = b0 & 0x07; min = 0x10000; }
    else return UINT32_MAX;
    if (pos + len > s.size()) return UINT32_MAX;
    for (size_t i = 1; i < len; ++i) {
        unsigned char b = byte(pos + i);
        if ((b & 0xc0) != 0x80) return UINT32_MAX;
        cp = (cp << 6) | (b & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return UINT32_MAX;
    pos += len;
    return cp;
}

void append_utf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xc0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xe0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
        out += static_cast<char>(0x80 | (cp & 0x3f));
    } else {
        out += static_cast<char>(0xf0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
        out += static_cast<char>(0x80 | (cp & 0x3f));
    }
}

// Writes the UTF-16 units of a shifted run as modified base64, "&...-".
void append_shift(std::string& out, const std::vector<uint16_t>& units) {
    out += '&';
    uint32_t bits = 0;
    int count = 0;
    for (uint16_t u : units) {
        bits = (bits << 16) | u;
        count += 16;
        while (count >= 6) {
            count -= 6;
            out += kAlphabet[(bits >> count) & 0x3f];
        }
        bits &= (1u << count) - 1;
    }
    if (count > 0) out += kAlphabet[(bits << (6 - count)) & 0x3f];
    out += '-';
}

// Decodes the base64 between '&' and '-' into UTF-16 units; false on bad
// characters or on leftover bits that are not a zero-filled partial sextet.
bool decode_base64_units(std::string_view b64, std::vector<uint16_t>& units) {
    uint32_t bits = 0;
    int count = 0;
    for (char c : b64) {
        int v = base64_value(c);
        if (v < 0) return false;
        bits = (bits << 6) | static_cast<uint32_t>(v);
        count += 6;
        if (count >= 16) {
            count -= 16;
            units.push_back(static_cast<uint16_t>(bits >> count));
            bits &= (1u << count) - 1;
        }
    }
    return count < 6 && bits == 0;
}

// Turns UTF-16 units into UTF-8; false on surrogate misuse or on a unit
// that should not have been shifted (printable ASCII).
bool append_units(std::string& out, const std::vector<uint16_t>& units) {
    for (size_t i = 0; i < units.size(); ++i) {
        uint32_t u = units[i];
        if (u >= 0xdc00 && u <= 0xdfff) return false;
        if (u >= 0xd800 && u <= 0xdbff) {
            if (i + 1 >= units.size()) return false;
            uint32_t low = units[++i];
            if (low < 0xdc00 || low > 0xdfff) return false;
            u = 0x10000 + ((u - 0xd800) << 10) + (low - 0xdc00);
        } else if (printable_ascii(u)) {
            return false;
        }
        append_utf8(out, u);
    }
    return true;
}

}  // namespace

bool valid_utf8(std::string_view s) {
    for (size_t pos = 0; pos < s.size();)
        if (next_code_point(s, pos) == UINT32_MAX) return false;
    return true;
}

bool valid_mailbox_name(std::string_view utf8) {
    for (size_t pos = 0; pos < utf8.size();) {
        uint32_t cp = next_code_point(utf8, pos);
        if (cp == UINT32_MAX || cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) return false;
    }
    return true;
}

std::optional<std::string> mutf7_encode(std::string_view utf8) {
    std::string out;
    std::vector<uint16_t> units;
    for (size_t pos = 0; pos < utf8.size();) {
        uint32_t cp = next_code_point(utf8, pos);
        if (cp == UINT32_MAX) return std::nullopt;
        if (printable_ascii(cp)) {
            if (!units.empty()) {
                append_shift(out, units);
                units.clear();
            }
            out += cp == '&' ? std::string("&-") : std::string(1, static_cast<char>(cp));
        } else if (cp >= 0x10000) {
            cp -= 0x10000;
            units.push_back(static_cast<uint16_t>(0xd800 + (cp >> 10)));
            units.push_back(static_cast<uint16_t>(0xdc00 + (cp & 0x3ff)));
        } else {
            units.push_back(static_cast<uint16_t>(cp));
        }
    }
    if (!units.empty()) append_shift(out, units);
    return out;
}

std::optional<std::string> mutf7_decode(std::string_view mutf7) {
    std::string out;
    std::vector<uint16_t> units;
    bool after_shift = false;  // the previous item was a base64 run
    for (size_t pos = 0; pos < mutf7.size();) {
        char c = mutf7[pos];
        if (!printable_ascii(static_cast<unsigned char>(c))) return std::nullopt;
        if (c != '&') {
            out += c;
            ++pos;
            after_shift = false;
            continue;
        }
        size_t end = mutf7.find('-', pos + 1);
        if (end == std::string_view::npos) return std::nullopt;
        if (end == pos + 1) {
            out += '&';
            pos = end + 1;
            after_shift = false;
            continue;
        }
        // "&AOQ-&AOQ-" is one run written as two: minimal encoders never do that.
        if (after_shift) return std::nullopt;
        units.clear();
        if (!decode_base64_units(mutf7.substr(pos + 1, end - pos - 1), units) || units.empty()) return std::nullopt;
        if (!append_units(out, units)) return std::nullopt;
        pos = end + 1;
        after_shift = true;
    }
    return out;
}

std::optional<std::string> mailbox_from_wire(std::string_view wire, bool utf8_enabled) {
    std::optional<std::string> name;
    if (utf8_enabled) name = std::string(wire);
    else name = mutf7_decode(wire);
    if (!name || !valid_mailbox_name(*name)) return std::nullopt;
    return name;
}

std::string mailbox_to_wire(std::string_view utf8, bool utf8_enabled) {
    if (utf8_enabled) return std::string(utf8);
    // Stored names are valid UTF-8; should one not be, it goes out as is
    // rather than vanishing from LIST.
    std::optional<std::string> encoded = mutf7_encode(utf8);
    return encoded ? *encoded : std::string(utf8);
}

}  // namespace pochta::imap
