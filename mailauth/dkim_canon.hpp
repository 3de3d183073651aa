// DKIM canonicalisation (RFC 6376 3.4) and the two hashes of a signature:
// the body hash (bh=) and the header hash that b= signs (RFC 6376 3.7).
// Lines may end in CRLF or a bare LF; a bare LF counts as CRLF, so a
// message stored either way hashes the same.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mailauth/dkim_signature.hpp"

namespace pochta::mailauth {

using Sha256 = std::array<unsigned char, 32>;

// One header field as it appears in the message: `raw` runs from the name
// to the end of its last line, without that line's line end.
struct HeaderField {
    std::string_view name;   // as written, trimmed
    std::string_view raw;
    std::string_view value() const;   // what follows the colon, folds included
};

struct SplitMessage {
    std::vector<HeaderField> fields;   // in order, top first
    std::string_view body;             // after the blank line; empty without one
};

SplitMessage split_message(std::string_view message);

// The field canonicalised, ending in CRLF.
std::string canonical_header(std::string_view raw_field, DkimCanon canon);

struct BodyHash {
    Sha256 hash{};
    uint64_t canonical_length = 0;   // of the whole canonical body, beyond any limit
};

// SHA-256 of the canonical body, of its first `limit` bytes when given.
BodyHash hash_body(std::string_view body, DkimCanon canon, std::optional<uint64_t> limit = std::nullopt);

// The hash b= signs: the fields `names` picks (each name takes the
// bottom-most instance not yet taken; missing ones add nothing), then the
// signature field itself with its b= value removed and no final CRLF.
// `signature_raw` is that field as it appears (or will appear) in the message.
Sha256 hash_headers(const std::vector<HeaderField>& fields, const std::vector<std::string>& names,
                    std::string_view signature_raw, DkimCanon canon);

}  // namespace pochta::mailauth
