// IMAP section numbers (RFC 3501 6.4.5 / RFC 9051 6.4.5) resolved against a
// parsed Structure, and the byte ranges of the raw message they name.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "common/mime/structure.hpp"

namespace pochta::mime {

// The part named by `path` (e.g. {1, 2} for BODY[1.2]); the root for an
// empty path; nullptr when there is no such part. A non-multipart message
// has only part 1 (itself); the parts of a message/rfc822 part are those of
// its encapsulated message's body.
const Part* find_part(const Part& root, std::span<const uint32_t> path);

enum class SectionText {
    all,     // BODY[1.2]: the part's body (for the empty path: the whole message)
    header,  // BODY[HEADER], BODY[1.2.HEADER]: the header of a message (root or message/rfc822 part)
    text,    // BODY[TEXT], BODY[1.2.TEXT]: the body of that message
    mime,    // BODY[1.2.MIME]: the part's own MIME header (not valid for the empty path)
};

struct ByteRange {
    uint64_t begin = 0;
    uint64_t end = 0;

    bool operator==(const ByteRange&) const = default;
};

// nullopt when the part does not exist or the specifier does not apply to it
// (HEADER/TEXT on a part that is not message/rfc822, MIME on the empty path).
std::optional<ByteRange> section_range(const Part& root, std::span<const uint32_t> path, SectionText text);

}  // namespace pochta::mime
