// Fuzzes FETCH BINARY[...] (imap/binary_section): the content-transfer
// decoding of a part of an arbitrary message, called the way the FETCH
// renderer calls it (the message parsed by common/mime first, the bytes read
// through the callback), and the literal / literal8 choice of the response.
//
// Input: a 9-byte header, then the message.
//   [0]    bit 0: small MIME limits; bit 1: bare LF line ends in the
//          synthetic message below
//   [1]    0: no partial; else <origin> is [1] - 1
//   [2]    partial count - 1 (255: a count near 2^64)
//   [3..8] two section paths of up to three numbers: 0 ends a path,
//          254 is the invalid number 0, 255 is 2^32-1, others as they are
// Checks:
//  - reads stay inside the message and inside the part's own range;
//  - UnknownCte is thrown exactly for a leaf part with an unknown encoding,
//    and nothing else is ever thrown;
//  - a missing part is empty; an identity part is its BODY[] bytes with
//    CRLF line ends; decoded output stays within the size the encoding allows;
//  - binary_literal picks "~{n}" exactly when the data holds a NUL, n is the
//    size of what follows, and the partial cuts as <origin.count> says;
//  - round trip: the message bytes base64- and quoted-printable-encoded into
//    a multipart message (with a message/rfc822 part too) come back
//    byte-exact from BINARY[1], BINARY[2] and BINARY[3.1].
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/mime/section.hpp"
#include "common/mime/structure.hpp"
#include "common/util/strings.hpp"
#include "imap/binary_section.hpp"
#include "imap/crlf.hpp"
#include "tests/fuzz/fuzz_check.hpp"
#include "tests/fuzz/fuzz_mime_limits.hpp"

using namespace pochta;

namespace {

constexpr size_t kHeader = 9;

std::vector<uint32_t> path_from(const uint8_t* bytes) {
    std::vector<uint32_t> path;
    for (int i = 0; i < 3 && bytes[i] != 0; ++i)
        path.push_back(bytes[i] == 254 ? 0u : bytes[i] == 255 ? UINT32_MAX : bytes[i]);
    return path;
}

// Every path of up to three numbers 1..3, and the empty one.
std::vector<std::vector<uint32_t>> small_paths() {
    std::vector<std::vector<uint32_t>> out = {{}};
    for (uint32_t a = 1; a <= 3; ++a) {
        out.push_back({a});
        for (uint32_t b = 1; b <= 3; ++b) {
            out.push_back({a, b});
            for (uint32_t c = 1; c <= 3; ++c) out.push_back({a, b, c});
        }
    }
    return out;
}

// binary_content with every promise of binary_section.hpp checked; the
// decoded data, or nullopt when it threw UnknownCte.
std::optional<std::string> checked_binary(const mime::Part& root, std::string_view raw,
                                          const std::vector<uint32_t>& path) {
    const mime::Part* part = mime::find_part(root, path);
    auto range = mime::section_range(root, path, mime::SectionText::all);
    FUZZ_CHECK(!part == !range);
    bool leaf = part && !path.empty() && part->kind == mime::PartKind::leaf;
    imap::TransferEncoding encoding =
        leaf ? imap::classify_transfer_encoding(part->encoding) : imap::TransferEncoding::identity;

    std::string_view read_bytes;
    int reads = 0;
    auto read = [&](uint64_t begin, uint64_t end) {
        ++reads;
        FUZZ_CHECK(range && begin == range->begin && end == range->end);
        FUZZ_CHECK(begin <= end && end <= raw.size());
        read_bytes = raw.substr(begin, end - begin);
        return std::string(read_bytes);
    };
    std::string data;
    try {
        data = imap::binary_content(root, path, read);
    } catch (const imap::UnknownCte&) {
        FUZZ_CHECK(encoding == imap::TransferEncoding::unknown);
        FUZZ_CHECK(std::string_view(imap::UnknownCte().what()) == imap::kUnknownCteError);
        return std::nullopt;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "unexpected exception: %s\n", e.what());
        std::abort();
    }
    FUZZ_CHECK(encoding != imap::TransferEncoding::unknown);
    if (!part) {
        FUZZ_CHECK(reads == 0 && data.empty());
        return data;
    }
    FUZZ_CHECK(reads == 1);
    switch (encoding) {
        case imap::TransferEncoding::identity: FUZZ_CHECK(data == imap::to_crlf(read_bytes)); break;
        case imap::TransferEncoding::binary: FUZZ_CHECK(data == read_bytes); break;
        case imap::TransferEncoding::base64: FUZZ_CHECK(data.size() <= (read_bytes.size() + 3) / 4 * 3); break;
        case imap::TransferEncoding::quoted_printable:
            FUZZ_CHECK(data.size() <= imap::to_crlf(read_bytes).size());
            break;
        case imap::TransferEncoding::unknown: break;
    }
    return data;
}

void check_literal(const std::string& data, const std::optional<imap::FetchPartial>& partial) {
    std::string expected = data;
    if (partial) {
        uint64_t origin = std::min<uint64_t>(partial->origin, data.size());
        expected = data.substr(origin, std::min<uint64_t>(partial->count, data.size() - origin));
    }
    std::string literal = imap::binary_literal(data, partial);
    bool nul = expected.find('\0') != std::string::npos;
    std::string head = (nul ? "~{" : "{") + std::to_string(expected.size()) + "}\r\n";
    FUZZ_CHECK(literal.size() == head.size() + expected.size());
    FUZZ_CHECK(std::string_view(literal).substr(0, head.size()) == head);
    FUZZ_CHECK(std::string_view(literal).substr(head.size()) == expected);
}

// Quoted-printable as a careful encoder writes it: printable ASCII as is
// (spaces too, but not the last byte, which a decoder would strip as
// trailing whitespace), everything else as =XX, soft line breaks keeping
// lines under 76 characters.
std::string qp_encode(std::string_view data, std::string_view eol) {
    static const char hex[] = "0123456789ABCDEF";
    std::string out;
    size_t line = 0;
    for (size_t i = 0; i < data.size(); ++i) {
        unsigned char c = static_cast<unsigned char>(data[i]);
        std::string piece;
        bool plain = (c >= 33 && c <= 126 && c != '=') || (c == ' ' && i + 1 < data.size());
        if (plain) {
            piece = static_cast<char>(c);
        } else {
            piece = {'=', hex[c >> 4], hex[c & 15]};
        }
        if (line + piece.size() > 72) {
            out += '=';
            out += eol;
            line = 0;
        }
        out += piece;
        line += piece.size();
    }
    return out;
}

std::string base64_lines(std::string_view data, std::string_view eol) {
    std::string encoded = base64_encode(data);
    std::string out;
    for (size_t i = 0; i < encoded.size(); i += 76) {
        out += encoded.substr(i, 76);
        out += eol;
    }
    return out;
}

// The payload encoded three ways in one message; each must decode back exactly.
void check_round_trip(std::string_view payload, bool bare_lf) {
    std::string_view eol = bare_lf ? "\n" : "\r\n";
    std::string e(eol);
    std::string message = "From: a@example.org" + e + "MIME-Version: 1.0" + e +
                          "Content-Type: multipart/mixed; boundary=\"=_b\"" + e + e + "--=_b" + e +
                          "Content-Type: application/octet-stream" + e + "Content-Transfer-Encoding: base64" + e + e +
                          base64_lines(payload, eol) + "--=_b" + e + "Content-Type: text/plain; charset=utf-8" + e +
                          "Content-Transfer-Encoding: Quoted-Printable" + e + e + qp_encode(payload, eol) + e +
                          "--=_b" + e + "Content-Type: message/rfc822" + e + e + "Subject: inner" + e +
                          "Content-Transfer-Encoding: BASE64" + e + e + base64_lines(payload, eol) + "--=_b--" + e;
    mime::Structure s = mime::parse_message(message);
    for (const std::vector<uint32_t>& path : {std::vector<uint32_t>{1}, {2}, {3, 1}}) {
        std::optional<std::string> data = checked_binary(s.root, message, path);
        FUZZ_CHECK(data && *data == payload);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < kHeader) return 0;
    mime::Limits limits = fuzz::mime_limits(data[0]);
    std::optional<imap::FetchPartial> partial;
    if (data[1] != 0) partial = imap::FetchPartial{uint64_t{data[1]} - 1u, data[2] == 255 ? UINT64_MAX - 7 : data[2] + 1u};
    std::vector<std::vector<uint32_t>> paths = small_paths();
    paths.push_back(path_from(data + 3));
    paths.push_back(path_from(data + 6));

    std::string_view raw(reinterpret_cast<const char*>(data + kHeader), size - kHeader);
    mime::Structure s = mime::parse_message(raw, limits);
    for (const auto& path : paths)
        if (std::optional<std::string> decoded = checked_binary(s.root, raw, path)) check_literal(*decoded, partial);

    check_round_trip(raw, data[0] & 2);
    return 0;
}
