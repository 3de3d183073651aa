#include "imap/search_text.hpp"

#include <array>

#include "common/mime/address_list.hpp"
#include "common/mime/charset.hpp"
#include "common/mime/encoded_word.hpp"
#include "common/mime/header.hpp"
#include "common/mime/transfer_encoding.hpp"
#include "common/util/strings.hpp"
#include "common/mime/html_text.hpp"

namespace pochta::imap {

namespace {

// Longer unfolded values are cut, as the MIME parser does: a SEARCH over a
// hostile megabyte-long header must stay cheap.
constexpr uint32_t kMaxFieldBytes = 64 * 1024;
constexpr size_t kMaxAddresses = 1000;

constexpr std::array<std::string_view, 11> kAddressFields{
    "from", "sender", "reply-to", "to", "cc", "bcc", "resent-from", "resent-sender", "resent-to", "resent-cc",
    "resent-bcc"};

bool in(uint32_t cp, uint32_t first, uint32_t last) { return cp >= first && cp <= last; }

// Blocks laid out as upper, lower, upper, lower... with the capitals on even
// (or, in a few Latin blocks, odd) code points.
uint32_t even_upper(uint32_t cp) { return cp % 2 == 0 ? cp + 1 : cp; }
uint32_t odd_upper(uint32_t cp) { return cp % 2 == 1 ? cp + 1 : cp; }

uint32_t fold_latin(uint32_t cp) {
    if (in(cp, 'A', 'Z')) return cp + 0x20;
    if (in(cp, 0xC0, 0xDE) && cp != 0xD7) return cp + 0x20;
    if (cp == 0xB5) return 0x3BC;  // micro sign folds to Greek mu
    if (in(cp, 0x100, 0x12F) || in(cp, 0x132, 0x137) || in(cp, 0x14A, 0x177)) return even_upper(cp);
    if (in(cp, 0x139, 0x148) || in(cp, 0x179, 0x17E)) return odd_upper(cp);
    if (cp == 0x178) return 0xFF;
    if (cp == 0x17F) return 's';  // long s
    if (cp == 0x1E9E) return 0xDF;  // capital sharp s
    if (in(cp, 0x1E00, 0x1E95) || in(cp, 0x1EA0, 0x1EFF)) return even_upper(cp);
    return cp;
}

uint32_t fold_greek(uint32_t cp) {
    if (in(cp, 0x391, 0x3A9) && cp != 0x3A2) return cp + 0x20;
    if (cp == 0x386) return 0x3AC;
    if (in(cp, 0x388, 0x38A)) return cp + 0x25;
    if (cp == 0x38C) return 0x3CC;
    if (in(cp, 0x38E, 0x38F)) return cp + 0x3F;
    if (in(cp, 0x3AA, 0x3AB)) return cp + 0x20;
    if (cp == 0x3C2) return 0x3C3;  // final sigma matches sigma
    if (in(cp, 0x3D8, 0x3EF)) return even_upper(cp);
    return cp;
}

uint32_t fold_cyrillic(uint32_t cp) {
    if (in(cp, 0x410, 0x42F)) return cp + 0x20;
    if (in(cp, 0x400, 0x40F)) return cp + 0x50;
    if (in(cp, 0x460, 0x481) || in(cp, 0x48A, 0x4BF) || in(cp, 0x4D0, 0x52F)) return even_upper(cp);
    if (cp == 0x4C0) return 0x4CF;
    if (in(cp, 0x4C1, 0x4CE)) return odd_upper(cp);
    return cp;
}

}  // namespace

size_t decode_utf8(std::string_view text, size_t i, uint32_t& cp) {
    auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
    unsigned char c = byte(i);
    if (c < 0x80) {
        cp = c;
        return 1;
    }
    size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
    if (len == 0 || c > 0xF4 || i + len > text.size()) return 0;
    cp = c & (0xFF >> (len + 1));
    for (size_t k = 1; k < len; ++k) {
        if ((byte(i + k) & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (byte(i + k) & 0x3F);
    }
    static constexpr uint32_t min_for_len[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min_for_len[len] || cp > 0x10FFFF || in(cp, 0xD800, 0xDFFF)) return 0;
    return len;
}

namespace {

bool is_utf8_compatible(std::string_view charset) {
    std::string name = to_lower(charset);
    return name.empty() || name == "utf-8" || name == "utf8" || name == "us-ascii" || name == "ascii";
}

// The text of one leaf part in UTF-8.
std::string leaf_text(const mime::Part& part, std::string_view body) {
    std::string decoded = mime::decode_transfer_encoding(body, part.encoding);
    const std::string* charset = part.param("charset");
    if (charset && !is_utf8_compatible(*charset))
        if (std::optional<std::string> converted = mime::to_utf8(decoded, *charset)) return std::move(*converted);
    return mime::sanitize_utf8(decoded);
}

// What a reader sees of a text part: HTML without its markup.
std::string readable_text(const mime::Part& part, std::string_view body) {
    std::string text = leaf_text(part, body);
    if (part.type == "text" && part.subtype == "html") return mime::html_text(text);
    return text;
}

// Bytes [begin, end) of raw, or nothing when the offsets do not fit it.
std::string_view slice(std::string_view raw, uint64_t begin, uint64_t end) {
    if (begin > end || end > raw.size()) return {};
    return raw.substr(begin, end - begin);
}

void append_body_text(const mime::Part& part, std::string_view raw, std::string& out) {
    switch (part.kind) {
        case mime::PartKind::multipart:
            for (const mime::Part& child : part.children) append_body_text(child, raw, out);
            return;
        case mime::PartKind::message:
            // The attached message's header is body text of the outer message.
            for (const mime::Part& child : part.children) {
                out += decoded_header_text(slice(raw, child.header_start, child.body_start));
                append_body_text(child, raw, out);
            }
            return;
        case mime::PartKind::leaf:
            if (part.type != "text" && part.type != "message") return;
            out += readable_text(part, slice(raw, part.body_start, part.end));
            out += '\n';
            return;
    }
}

}  // namespace

uint32_t fold_code_point(uint32_t cp) {
    if (cp < 0x370) return fold_latin(cp);
    if (cp < 0x400) return fold_greek(cp);
    if (cp < 0x530) return fold_cyrillic(cp);
    if (in(cp, 0x1E00, 0x1EFF)) return fold_latin(cp);
    return cp;
}

std::string fold_case(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (size_t i = 0; i < text.size();) {
        unsigned char c = static_cast<unsigned char>(text[i]);
        if (c < 0x80) {  // the common case, kept fast
            out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 0x20) : static_cast<char>(c);
            ++i;
            continue;
        }
        uint32_t cp = 0;
        size_t len = decode_utf8(text, i, cp);
        if (len == 0) {
            out += static_cast<char>(c);
            ++i;
            continue;
        }
        append_utf8(out, fold_code_point(cp));
        i += len;
    }
    return out;
}

std::string ascii_upper(std::string_view text) {
    std::string out(text);
    for (char& c : out)
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    return out;
}

std::string_view header_block(std::string_view raw) {
    return raw.substr(0, mime::find_header_end(raw, 0, raw.size()));
}

std::vector<std::string> header_values(std::string_view header, std::string_view name) {
    std::vector<std::string> values;
    mime::for_each_field(header, kMaxFieldBytes, [&](std::string_view field, std::string value) {
        if (iequals(field, name)) values.push_back(std::move(value));
        return true;
    });
    return values;
}

std::string decoded_header_text(std::string_view header) {
    std::string out;
    mime::for_each_field(header, kMaxFieldBytes, [&](std::string_view field, std::string value) {
        out.append(field);
        out += ": ";
        out += mime::decode_encoded_words(value);
        out += '\n';
        return true;
    });
    return out;
}

bool is_address_field(std::string_view name) {
    for (std::string_view f : kAddressFields)
        if (iequals(name, f)) return true;
    return false;
}

std::string rendered_addresses(std::string_view value) {
    std::string out;
    for (const mime::AddressEntry& a : mime::parse_address_list(value, kMaxAddresses)) {
        if (a.kind != mime::AddressEntry::Kind::mailbox) continue;
        if (!out.empty()) out += ", ";
        if (a.name && !a.name->empty()) out += mime::decode_encoded_words(*a.name) + " ";
        out += "<" + a.mailbox;
        if (a.host) out += "@" + *a.host;
        out += ">";
    }
    return out;
}

std::string decoded_body_text(const mime::Structure& structure, std::string_view raw) {
    std::string out;
    append_body_text(structure.root, raw, out);
    return out;
}

}  // namespace pochta::imap
