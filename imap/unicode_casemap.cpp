#include "imap/unicode_casemap.hpp"

#include <algorithm>
#include <array>
#include <cstdint>

#include "imap/search_text.hpp"

namespace pochta::imap {
namespace {

struct Decomposition {
    uint32_t code_point;
    const char* utf8;  // the NFKD form, ASCII upper-cased
};

// Every lower-case (folded) letter of U+00C0..U+024F whose NFKD form starts
// with an ASCII letter, generated from the Unicode Character Database.
constexpr Decomposition kLatin[] = {
    {0x00E0, "A\xcc\x80"},
    {0x00E1, "A\xcc\x81"},
    {0x00E2, "A\xcc\x82"},
    {0x00E3, "A\xcc\x83"},
    {0x00E4, "A\xcc\x88"},
    {0x00E5, "A\xcc\x8a"},
    {0x00E7, "C\xcc\xa7"},
    {0x00E8, "E\xcc\x80"},
    {0x00E9, "E\xcc\x81"},
    {0x00EA, "E\xcc\x82"},
    {0x00EB, "E\xcc\x88"},
    {0x00EC, "I\xcc\x80"},
    {0x00ED, "I\xcc\x81"},
    {0x00EE, "I\xcc\x82"},
    {0x00EF, "I\xcc\x88"},
    {0x00F1, "N\xcc\x83"},
    {0x00F2, "O\xcc\x80"},
    {0x00F3, "O\xcc\x81"},
    {0x00F4, "O\xcc\x82"},
    {0x00F5, "O\xcc\x83"},
    {0x00F6, "O\xcc\x88"},
    {0x00F9, "U\xcc\x80"},
    {0x00FA, "U\xcc\x81"},
    {0x00FB, "U\xcc\x82"},
    {0x00FC, "U\xcc\x88"},
    {0x00FD, "Y\xcc\x81"},
    {0x00FF, "Y\xcc\x88"},
    {0x0101, "A\xcc\x84"},
    {0x0103, "A\xcc\x86"},
    {0x0105, "A\xcc\xa8"},
    {0x0107, "C\xcc\x81"},
    {0x0109, "C\xcc\x82"},
    {0x010B, "C\xcc\x87"},
    {0x010D, "C\xcc\x8c"},
    {0x010F, "D\xcc\x8c"},
    {0x0113, "E\xcc\x84"},
    {0x0115, "E\xcc\x86"},
    {0x0117, "E\xcc\x87"},
    {0x0119, "E\xcc\xa8"},
    {0x011B, "E\xcc\x8c"},
    {0x011D, "G\xcc\x82"},
    {0x011F, "G\xcc\x86"},
    {0x0121, "G\xcc\x87"},
    {0x0123, "G\xcc\xa7"},
    {0x0125, "H\xcc\x82"},
    {0x0129, "I\xcc\x83"},
    {0x012B, "I\xcc\x84"},
    {0x012D, "I\xcc\x86"},
    {0x012F, "I\xcc\xa8"},
    {0x0133, "IJ"},
    {0x0135, "J\xcc\x82"},
    {0x0137, "K\xcc\xa7"},
    {0x013A, "L\xcc\x81"},
    {0x013C, "L\xcc\xa7"},
    {0x013E, "L\xcc\x8c"},
    {0x0140, "L\xc2\xb7"},
    {0x0144, "N\xcc\x81"},
    {0x0146, "N\xcc\xa7"},
    {0x0148, "N\xcc\x8c"},
    {0x014D, "O\xcc\x84"},
    {0x014F, "O\xcc\x86"},
    {0x0151, "O\xcc\x8b"},
    {0x0155, "R\xcc\x81"},
    {0x0157, "R\xcc\xa7"},
    {0x0159, "R\xcc\x8c"},
    {0x015B, "S\xcc\x81"},
    {0x015D, "S\xcc\x82"},
    {0x015F, "S\xcc\xa7"},
    {0x0161, "S\xcc\x8c"},
    {0x0163, "T\xcc\xa7"},
    {0x0165, "T\xcc\x8c"},
    {0x0169, "U\xcc\x83"},
    {0x016B, "U\xcc\x84"},
    {0x016D, "U\xcc\x86"},
    {0x016F, "U\xcc\x8a"},
    {0x0171, "U\xcc\x8b"},
    {0x0173, "U\xcc\xa8"},
    {0x0175, "W\xcc\x82"},
    {0x0177, "Y\xcc\x82"},
    {0x017A, "Z\xcc\x81"},
    {0x017C, "Z\xcc\x87"},
    {0x017E, "Z\xcc\x8c"},
    {0x017F, "S"},
    {0x01A1, "O\xcc\x9b"},
    {0x01B0, "U\xcc\x9b"},
    {0x01C6, "DZ\xcc\x8c"},
    {0x01C9, "LJ"},
    {0x01CC, "NJ"},
    {0x01CE, "A\xcc\x8c"},
    {0x01D0, "I\xcc\x8c"},
    {0x01D2, "O\xcc\x8c"},
    {0x01D4, "U\xcc\x8c"},
    {0x01D6, "U\xcc\x88\xcc\x84"},
    {0x01D8, "U\xcc\x88\xcc\x81"},
    {0x01DA, "U\xcc\x88\xcc\x8c"},
    {0x01DC, "U\xcc\x88\xcc\x80"},
    {0x01DF, "A\xcc\x88\xcc\x84"},
    {0x01E1, "A\xcc\x87\xcc\x84"},
    {0x01E7, "G\xcc\x8c"},
    {0x01E9, "K\xcc\x8c"},
    {0x01EB, "O\xcc\xa8"},
    {0x01ED, "O\xcc\xa8\xcc\x84"},
    {0x01F0, "J\xcc\x8c"},
    {0x01F3, "DZ"},
    {0x01F5, "G\xcc\x81"},
    {0x01F9, "N\xcc\x80"},
    {0x01FB, "A\xcc\x8a\xcc\x81"},
    {0x0201, "A\xcc\x8f"},
    {0x0203, "A\xcc\x91"},
    {0x0205, "E\xcc\x8f"},
    {0x0207, "E\xcc\x91"},
    {0x0209, "I\xcc\x8f"},
    {0x020B, "I\xcc\x91"},
    {0x020D, "O\xcc\x8f"},
    {0x020F, "O\xcc\x91"},
    {0x0211, "R\xcc\x8f"},
    {0x0213, "R\xcc\x91"},
    {0x0215, "U\xcc\x8f"},
    {0x0217, "U\xcc\x91"},
    {0x0219, "S\xcc\xa6"},
    {0x021B, "T\xcc\xa6"},
    {0x021F, "H\xcc\x8c"},
    {0x0227, "A\xcc\x87"},
    {0x0229, "E\xcc\xa7"},
    {0x022B, "O\xcc\x88\xcc\x84"},
    {0x022D, "O\xcc\x83\xcc\x84"},
    {0x022F, "O\xcc\x87"},
    {0x0231, "O\xcc\x87\xcc\x84"},
    {0x0233, "Y\xcc\x84"},
};

const char* decomposition(uint32_t cp) {
    auto it = std::lower_bound(std::begin(kLatin), std::end(kLatin), cp,
                               [](const Decomposition& d, uint32_t c) { return d.code_point < c; });
    return it != std::end(kLatin) && it->code_point == cp ? it->utf8 : nullptr;
}

}  // namespace

std::string unicode_casemap_key(std::string_view utf8) {
    std::string folded = fold_case(utf8);
    std::string out;
    out.reserve(folded.size() + folded.size() / 2);
    for (size_t i = 0; i < folded.size();) {
        unsigned char c = static_cast<unsigned char>(folded[i]);
        if (c < 0x80) {
            out += (c >= 'a' && c <= 'z') ? static_cast<char>(c - 0x20) : static_cast<char>(c);
            ++i;
            continue;
        }
        // Two-octet sequences cover U+0080..U+07FF, the whole table.
        size_t len = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 1;
        len = std::min(len, folded.size() - i);
        const char* decomposed = nullptr;
        if (len == 2) decomposed = decomposition(((c & 0x1Fu) << 6) | (static_cast<unsigned char>(folded[i + 1]) & 0x3Fu));
        if (decomposed) out += decomposed;
        else out.append(folded, i, len);
        i += len;
    }
    return out;
}

}  // namespace pochta::imap
