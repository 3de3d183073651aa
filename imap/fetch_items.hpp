// FETCH attributes (RFC 3501 6.4.5, RFC 9051 6.4.5, BINARY from RFC 3516,
// MODSEQ and the CHANGEDSINCE/VANISHED modifiers from RFC 7162, EMAILID and
// THREADID from RFC 8474, SAVEDATE from RFC 8514, PREVIEW from RFC 8970) parsed from
// the command's tokens. The command parser keeps "BODY.PEEK[HEADER.FIELDS
// (From To)]<0.100>" as one atom; this module takes it apart and also says
// how the item is named in the FETCH response.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "imap/parser.hpp"

namespace pochta::imap {

struct FetchSection {
    enum class Text { none, header, header_fields, header_fields_not, text, mime };
    std::vector<uint32_t> part;       // "1.2.3"; empty = the whole message
    Text text = Text::none;
    std::vector<std::string> fields;  // HEADER.FIELDS(.NOT), as the client wrote them
    bool operator==(const FetchSection&) const = default;
};

struct FetchPartial {
    uint64_t origin = 0;
    uint64_t count = 0;  // never zero
    bool operator==(const FetchPartial&) const = default;
};

struct FetchItem {
    enum class Kind {
        envelope, flags, internaldate, uid, modseq,
        rfc822, rfc822_header, rfc822_size, rfc822_text,
        body,           // BODY without a section: the non-extensible BODYSTRUCTURE
        bodystructure,
        body_section,   // BODY[...] / BODY.PEEK[...]
        binary,         // BINARY[...] / BINARY.PEEK[...]: only part numbers in the section
        binary_size,    // BINARY.SIZE[...]
        emailid, threadid,  // OBJECTID (RFC 8474)
        savedate,           // RFC 8514
        preview,            // RFC 8970 (its LAZY modifier changes nothing: the preview is made at once)
    };
    Kind kind = Kind::flags;
    bool peek = false;
    FetchSection section;
    std::optional<FetchPartial> partial;

    // The name in the response: "BODY[HEADER.FIELDS (FROM TO)]<0>" for
    // BODY.PEEK[HEADER.FIELDS (From To)]<0.100> — .PEEK dropped, field names
    // upper case, only the origin of a partial (RFC 3501 7.4.2).
    std::string response_name() const;
    // Fetching it sets \Seen (RFC822, RFC822.TEXT, BODY[...], BINARY[...]).
    bool sets_seen() const;
};

struct FetchRequest {
    std::vector<FetchItem> items;           // macros expanded, in the client's order
    std::optional<uint64_t> changedsince;   // CHANGEDSINCE modifier
    bool vanished = false;                  // VANISHED modifier (UID FETCH with CHANGEDSINCE only)
};

// One attribute as the parser's atom holds it; nullopt with `error` set.
std::optional<FetchItem> parse_fetch_item(std::string_view text, std::string& error);

// `args` are the FETCH arguments after the sequence set: the attribute (a
// macro, one item, or a list) and an optional list of modifiers. Every
// error is a BAD.
std::optional<FetchRequest> parse_fetch(std::span<const Token> args, bool uid, std::string& error);

}  // namespace pochta::imap
