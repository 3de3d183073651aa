#include "imap/binary_section.hpp"

#include <fmt/format.h>

#include "common/mime/section.hpp"
#include "common/mime/transfer_encoding.hpp"
#include "common/util/strings.hpp"
#include "imap/crlf.hpp"

namespace pochta::imap {

TransferEncoding classify_transfer_encoding(std::string_view cte) {
    std::string_view value = trim(cte);
    if (value.empty() || iequals(value, "7bit") || iequals(value, "8bit")) return TransferEncoding::identity;
    if (iequals(value, "binary")) return TransferEncoding::binary;
    if (iequals(value, "base64")) return TransferEncoding::base64;
    if (iequals(value, "quoted-printable")) return TransferEncoding::quoted_printable;
    return TransferEncoding::unknown;
}

std::string decode_content(std::string_view raw, TransferEncoding encoding) {
    switch (encoding) {
        case TransferEncoding::identity: return to_crlf(raw);
        case TransferEncoding::binary: return std::string(raw);
        // Line ends are not part of base64 data: the decoder skips them.
        case TransferEncoding::base64: return mime::decode_base64(raw);
        // A hard line break is CRLF in canonical text; an encoded =0A stays
        // a lone LF, so the line ends are fixed before decoding.
        case TransferEncoding::quoted_printable: return mime::decode_quoted_printable(to_crlf(raw));
        case TransferEncoding::unknown: break;
    }
    throw UnknownCte();
}

std::string binary_content(const mime::Part& root, std::span<const uint32_t> path, const ReadBytes& read) {
    const mime::Part* part = mime::find_part(root, path);
    auto range = mime::section_range(root, path, mime::SectionText::all);
    if (!part || !range) return {};
    std::string raw = read(range->begin, range->end);
    bool leaf = !path.empty() && part->kind == mime::PartKind::leaf;
    return decode_content(raw, leaf ? classify_transfer_encoding(part->encoding) : TransferEncoding::identity);
}

std::string binary_literal(std::string data, const std::optional<FetchPartial>& partial) {
    if (partial) data = data.substr(std::min<uint64_t>(partial->origin, data.size()), partial->count);
    bool binary = data.find('\0') != std::string::npos;
    std::string out = fmt::format("{}{{{}}}\r\n", binary ? "~" : "", data.size());
    out += data;
    return out;
}

}  // namespace pochta::imap
