#include "imap/preview.hpp"

#include <algorithm>
#include <array>
#include <string_view>

#include "common/mime/charset.hpp"
#include "common/mime/html_text.hpp"
#include "common/util/strings.hpp"

namespace pochta::imap {
namespace {

bool is_attachment(const mime::Part& p) { return p.disposition && p.disposition->type == "attachment"; }

const mime::Part* first_text(const mime::Part& p, std::string_view subtype) {
    if (p.kind == mime::PartKind::leaf)
        return p.type == "text" && p.subtype == subtype && !is_attachment(p) ? &p : nullptr;
    // A message/rfc822 part is a forwarded message: not this one's text.
    if (p.kind != mime::PartKind::multipart) return nullptr;
    for (const auto& child : p.children)
        if (const mime::Part* found = first_text(child, subtype)) return found;
    return nullptr;
}

// Runs of white space (and control characters) become one space.
std::string collapse_space(std::string_view text) {
    std::string out;
    for (unsigned char c : text) {
        if (c <= ' ' || c == 0x7f) {
            if (!out.empty() && out.back() != ' ') out += ' ';
            continue;
        }
        out += static_cast<char>(c);
    }
    if (!out.empty() && out.back() == ' ') out.pop_back();
    return out;
}

// At most `chars` UTF-8 characters, never cutting one in two.
std::string cut(std::string text, size_t chars) {
    size_t count = 0;
    for (size_t i = 0; i < text.size(); ++i) {
        if ((static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) continue;  // a continuation byte
        if (count++ == chars) {
            text.resize(i);
            break;
        }
    }
    return text;
}

}  // namespace

std::string message_preview(const mime::Part& root, const ReadBytes& read) {
    const mime::Part* part = first_text(root, "plain");
    const bool html = part == nullptr;
    if (html) part = first_text(root, "html");
    if (!part) return {};
    std::string decoded;
    try {
        uint64_t end = std::min<uint64_t>(part->end, part->body_start + kPreviewReadLimit);
        decoded = decode_content(read(part->body_start, end), classify_transfer_encoding(part->encoding));
    } catch (const UnknownCte&) {
        return {};
    }
    // Unlabelled text is taken as UTF-8 (RFC 6532 mail), with us-ascii's
    // and broken bytes replaced; a charset iconv does not know gives none.
    const std::string* charset = part->param("charset");
    auto text = mime::to_utf8(decoded, charset ? *charset : "utf-8");
    if (!text) return {};
    return cut(collapse_space(html ? mime::html_text(*text) : *text), kPreviewChars);
}

}  // namespace pochta::imap
