// The MIME structure of a message (RFC 5322 / 2045 / 2046), parsed once at
// delivery and kept in the index, so that IMAP can answer ENVELOPE,
// BODYSTRUCTURE and BODY[section] without reading or parsing the blob again.
// Every part records byte offsets into the raw message; section fetches are
// byte ranges of the blob.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pochta::mime {

struct Param {
    std::string name;   // lowercased; RFC 2231 "*" and "*N" suffixes removed
    std::string value;  // unquoted; RFC 2231 continuations joined, decoded to UTF-8 when the charset is known

    bool operator==(const Param&) const = default;
};

// The raw (unfolded, trimmed) header values ENVELOPE needs, first occurrence
// of each field; nullopt when the field is absent.
struct EnvelopeFields {
    std::optional<std::string> date, subject, from, sender, reply_to, to, cc, bcc, in_reply_to, message_id;

    bool operator==(const EnvelopeFields&) const = default;
};

struct Disposition {
    std::string type;  // lowercased: "inline", "attachment", ...
    std::vector<Param> params;

    bool operator==(const Disposition&) const = default;
};

enum class PartKind : uint8_t {
    leaf = 0,       // any single body, including opaque containers (limits, missing boundary)
    multipart = 1,  // children are the body parts (possibly none)
    message = 2,    // message/rfc822: exactly one child, the encapsulated message
};

struct Part {
    // Offsets into the raw message. [header_start, body_start) is the header
    // including the blank line that ends it; [body_start, end) is the body.
    uint64_t header_start = 0;
    uint64_t body_start = 0;
    uint64_t end = 0;
    // Number of line ends (LF) in the body; IMAP reports it for text/* and message/rfc822.
    uint64_t body_lines = 0;

    PartKind kind = PartKind::leaf;
    std::string type = "text";     // lowercased
    std::string subtype = "plain"; // lowercased
    std::vector<Param> params;     // Content-Type parameters in header order, first of a name wins
    std::optional<std::string> id, description, md5, location;
    std::string encoding = "7bit";  // Content-Transfer-Encoding as written (trimmed)
    std::optional<Disposition> disposition;
    std::vector<std::string> languages;

    // Set for the top-level message and for the child of each message/rfc822 part.
    std::optional<EnvelopeFields> envelope;

    std::vector<Part> children;

    uint64_t body_size() const { return end - body_start; }
    bool is_text() const { return type == "text"; }
    // Value of a Content-Type parameter (name lowercase), nullptr when absent.
    const std::string* param(std::string_view name) const;

    bool operator==(const Part&) const = default;
};

struct Structure {
    Part root;                  // the message itself: its header and its body's content type
    uint32_t part_count = 1;    // parts in the tree, root included
    bool truncated = false;     // a limit was hit: some content is kept as opaque text

    bool operator==(const Structure&) const = default;
};

struct Limits {
    uint32_t max_depth = 64;               // nested multipart/message levels; deeper is opaque
    uint32_t max_parts = 5000;             // parts beyond this are not split out
    uint64_t max_header_bytes = 256 * 1024;// of each header block, only this much is interpreted
    uint32_t max_field_bytes = 64 * 1024;  // longer unfolded field values are cut
    uint32_t max_params = 64;              // per Content-Type / Content-Disposition
};

// Never throws on malformed input and never recurses deeper than max_depth.
Structure parse_message(std::string_view raw, const Limits& limits = {});

// Compact, versioned (first byte) encoding for the index.
std::string serialize(const Structure& structure);
// nullopt for anything that is not a well-formed encoding (corrupt, truncated,
// unknown version, inconsistent offsets, too deep).
std::optional<Structure> deserialize(std::string_view bytes);

}  // namespace pochta::mime
