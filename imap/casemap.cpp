#include "imap/casemap.hpp"

#include <algorithm>
#include <cstdint>
#include <vector>

#include "common/util/strings.hpp"
#include "imap/casemap_table.hpp"
#include "imap/search_text.hpp"

namespace pochta::imap {

namespace {

namespace data = casemap_data;

// Hangul syllables decompose by arithmetic (Unicode 14, section 3.12).
constexpr uint32_t kSBase = 0xAC00, kLBase = 0x1100, kVBase = 0x1161, kTBase = 0x11A7;
constexpr uint32_t kLCount = 19, kVCount = 21, kTCount = 28, kNCount = kVCount * kTCount;
constexpr uint32_t kSCount = kLCount * kNCount;

uint32_t combining_class(uint32_t cp) {
    if (cp < 0x300) return 0;
    const data::CombiningClass* end = data::classes + data::class_count;
    const data::CombiningClass* it =
        std::lower_bound(data::classes, end, cp, [](const data::CombiningClass& c, uint32_t v) { return c.cp < v; });
    return it != end && it->cp == cp ? it->ccc : 0;
}

// Appends the mapped form of one character as code points.
void map_code_point(uint32_t cp, std::vector<uint32_t>& out) {
    if (cp >= kSBase && cp < kSBase + kSCount) {
        uint32_t s = cp - kSBase;
        out.push_back(kLBase + s / kNCount);
        out.push_back(kVBase + (s % kNCount) / kTCount);
        if (s % kTCount != 0) out.push_back(kTBase + s % kTCount);
        return;
    }
    const data::Mapping* end = data::mappings + data::mapping_count;
    const data::Mapping* it =
        std::lower_bound(data::mappings, end, cp, [](const data::Mapping& m, uint32_t v) { return m.cp < v; });
    if (it == end || it->cp != cp) {
        out.push_back(cp);
        return;
    }
    out.insert(out.end(), data::pool + it->offset, data::pool + it->offset + it->length);
}

// NFKD's canonical ordering: each run of combining marks sorted (stably)
// by combining class.
void reorder_marks(std::vector<uint32_t>& cps) {
    auto by_class = [](uint32_t a, uint32_t b) { return combining_class(a) < combining_class(b); };
    for (size_t i = 0; i < cps.size();) {
        size_t end = i;
        while (end < cps.size() && combining_class(cps[end]) != 0) ++end;
        if (end - i > 1) std::stable_sort(cps.begin() + static_cast<std::ptrdiff_t>(i),
                                          cps.begin() + static_cast<std::ptrdiff_t>(end), by_class);
        i = end == i ? i + 1 : end;
    }
}

// Writes the pending code points, marks reordered, as UTF-8.
void append_mapped(std::vector<uint32_t>& cps, std::string& out) {
    reorder_marks(cps);
    for (uint32_t cp : cps) append_utf8(out, cp);
    cps.clear();
}

}  // namespace

std::string casemap(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    std::vector<uint32_t> pending;  // mapped code points since the last ASCII or invalid byte
    for (size_t i = 0; i < text.size();) {
        unsigned char c = static_cast<unsigned char>(text[i]);
        if (c < 0x80) {  // the common case, kept fast
            if (!pending.empty()) append_mapped(pending, out);
            out += (c >= 'a' && c <= 'z') ? static_cast<char>(c - 0x20) : static_cast<char>(c);
            ++i;
            continue;
        }
        uint32_t cp = 0;
        size_t len = decode_utf8(text, i, cp);
        if (len == 0) {
            if (!pending.empty()) append_mapped(pending, out);
            out += static_cast<char>(c);
            ++i;
            continue;
        }
        map_code_point(cp, pending);
        i += len;
    }
    if (!pending.empty()) append_mapped(pending, out);
    return out;
}

}  // namespace pochta::imap
