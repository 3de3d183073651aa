// Fuzzes the MIME structure parser and everything built on it. The first
// input byte picks small or default limits; the rest is the message.
// Checks: offsets stay inside the message and nest properly, the index
// encoding round-trips exactly, the renderers give the same output from
// the decoded copy, section ranges stay in bounds, and the header decoders
// return valid UTF-8.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/mime/address_list.hpp"
#include "common/mime/charset.hpp"
#include "common/mime/encoded_word.hpp"
#include "common/mime/section.hpp"
#include "common/mime/structure.hpp"
#include "common/mime/transfer_encoding.hpp"
#include "imap/bodystructure.hpp"
#include "imap/envelope.hpp"
#include "tests/fuzz/fuzz_check.hpp"
#include "tests/fuzz/fuzz_mime_limits.hpp"

using namespace pochta;

namespace {

void check_part(const mime::Part& p, uint64_t begin, uint64_t end, uint32_t depth, const mime::Limits& limits,
                uint32_t& count) {
    ++count;
    FUZZ_CHECK(depth <= limits.max_depth);
    FUZZ_CHECK(begin <= p.header_start && p.header_start <= p.body_start && p.body_start <= p.end && p.end <= end);
    FUZZ_CHECK(p.body_lines <= p.body_size());
    if (p.kind == mime::PartKind::message) FUZZ_CHECK(p.children.size() == 1 && p.children[0].envelope);
    if (p.kind == mime::PartKind::leaf) FUZZ_CHECK(p.children.empty());
    for (const auto& c : p.children) check_part(c, p.body_start, p.end, depth + 1, limits, count);
}

void check_sections(const mime::Part& root, uint64_t size) {
    const std::vector<std::vector<uint32_t>> paths = {{}, {1}, {2}, {1, 1}, {1, 2}, {2, 1}, {1, 1, 1}, {3, 1, 2}};
    for (const auto& path : paths) {
        for (auto text : {mime::SectionText::all, mime::SectionText::header, mime::SectionText::text,
                          mime::SectionText::mime}) {
            if (auto r = mime::section_range(root, path, text)) FUZZ_CHECK(r->begin <= r->end && r->end <= size);
        }
    }
}

bool valid_utf8(std::string_view s) {
    return mime::sanitize_utf8(s) == s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    mime::Limits limits = fuzz::mime_limits(data[0]);
    std::string_view raw(reinterpret_cast<const char*>(data + 1), size - 1);

    mime::Structure s = mime::parse_message(raw, limits);
    uint32_t count = 0;
    check_part(s.root, 0, raw.size(), 0, limits, count);
    FUZZ_CHECK(s.root.end == raw.size());
    FUZZ_CHECK(count == s.part_count);
    FUZZ_CHECK(count <= limits.max_parts);

    std::string bytes = mime::serialize(s);
    auto copy = mime::deserialize(bytes);
    FUZZ_CHECK(copy.has_value());
    FUZZ_CHECK(*copy == s);
    FUZZ_CHECK(mime::serialize(*copy) == bytes);

    std::string bodystructure = imap::render_bodystructure(s.root, true);
    FUZZ_CHECK(imap::render_bodystructure(copy->root, true) == bodystructure);
    FUZZ_CHECK(imap::render_bodystructure(copy->root, false) == imap::render_bodystructure(s.root, false));
    FUZZ_CHECK(imap::render_envelope(copy->root) == imap::render_envelope(s.root));
    check_sections(s.root, raw.size());

    // A corrupted index row is refused or decoded consistently, never trusted blindly.
    if (!bytes.empty()) {
        std::string corrupt = bytes;
        corrupt[data[0] % corrupt.size()] ^= static_cast<char>(0x5A);
        if (auto c = mime::deserialize(corrupt)) FUZZ_CHECK(mime::deserialize(mime::serialize(*c)) == c);
    }

    // The header decoders on the raw text: bounded and well-formed output.
    std::string_view head = raw.substr(0, 4096);
    FUZZ_CHECK(valid_utf8(mime::decode_encoded_words(head)));
    auto addresses = mime::parse_address_list(head, 100);
    FUZZ_CHECK(addresses.size() <= 100);
    FUZZ_CHECK(mime::decode_quoted_printable(head).size() <= head.size());
    FUZZ_CHECK(mime::decode_base64(head).size() <= head.size());
    return 0;
}
