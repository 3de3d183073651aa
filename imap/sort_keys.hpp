// What SORT and THREAD (RFC 5256, RFC 5957) compare of a message, made once
// when the message is stored (store::Options::sort_keys) and kept in the
// index beside it, so a SORT or THREAD over 50,000 messages reads one small
// row per message instead of parsing structures and headers (README,
// "IMAP": SORT and THREAD).
//
// The strings are stored already in the form their comparator compares
// (i;ascii-casemap upper-cased, or i;unicode-casemap), so sorting compares
// octets. Message IDs are kept as 64-bit hashes: a collision can only make
// one message thread under another, which any sender can already ask for
// with a References field, and by chance it takes billions of IDs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/mime/structure.hpp"

namespace pochta::imap {

// Only the last this many IDs of a References field are kept, which bounds
// the work (and the row) a hostile message can cause.
inline constexpr size_t kMaxReferences = 256;

struct SortKeys {
    std::optional<int64_t> sent_date;  // the Date: field's instant; nullopt when it does not parse
    std::string subject;               // base subject, i;ascii-casemap (upper-cased)
    bool reply_or_forward = false;     // the base subject extraction removed a reply or forward marker
    std::string from, to, cc;          // addr-mailbox of the first address, upper-cased
    std::string display_from, display_to;  // RFC 5957 display name or addr-spec, i;unicode-casemap
    uint64_t message_id = 0;               // hash of the first Message-ID; 0: none
    // Hashes of the References IDs (the last kMaxReferences), else of the
    // first In-Reply-To ID; oldest first.
    std::vector<uint64_t> references;

    bool operator==(const SortKeys&) const = default;
};

// A message as SORT and THREAD see it: the facts of its index row and its keys.
struct KeyedMessage {
    uint32_t seq = 0;
    uint32_t uid = 0;
    int64_t internal_date = 0;  // unix seconds
    uint64_t size = 0;          // RFC822.SIZE
    SortKeys keys;

    // RFC 5256 2.2's sent date: the Date: field, else INTERNALDATE.
    int64_t sent_date() const { return keys.sent_date.value_or(internal_date); }
};

// The keys of a message from its envelope fields and its top-level header
// block (for References).
SortKeys sort_keys_of(const mime::EnvelopeFields& envelope, std::string_view header);

// The message IDs in a Message-ID, References or In-Reply-To value, in
// order: the text between "<" and ">" with whitespace removed; comments
// are skipped.
std::vector<std::string> message_ids(std::string_view value);

// The stored form, and back. decode gives nullopt for anything encode did
// not make (another version, truncated, oversized counts): the caller then
// makes the keys again.
std::string encode_sort_keys(const SortKeys& keys);
std::optional<SortKeys> decode_sort_keys(std::string_view data);

// store::SortKeyMaker: the stored keys of a message from its bytes and
// serialized MIME structure. Pure; never throws for any input.
std::string make_stored_sort_keys(std::string_view raw, const std::string& structure);

}  // namespace pochta::imap
