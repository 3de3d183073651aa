// STATUS data items (RFC 3501 6.3.10, HIGHESTMODSEQ from RFC 7162, SIZE from
// RFC 8438, DELETED from RFC 9051), shared by STATUS and LIST's RETURN
// (STATUS ...) (RFC 5819). Pure: the session reads the store, this module
// parses the item list and writes the answer.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "imap/parser.hpp"
#include "store/store.hpp"

namespace pochta::imap {

// Lower-case item names in the client's order; nullopt with `error` for an
// empty list, a non-atom or an unknown item.
std::optional<std::vector<std::string>> parse_status_items(const Token& list, std::string& error);

// SIZE and DELETED need the message list; the others come with the mailbox row.
bool status_needs_messages(const std::vector<std::string>& items);

struct StatusCounts {
    uint64_t size = 0;     // octets as FETCH RFC822.SIZE counts them
    uint32_t deleted = 0;  // messages with \Deleted
    uint32_t recent = 0;   // messages at or above the \Recent floor
    uint64_t deleted_bytes = 0;  // their stored octets (RFC 9208 DELETED-STORAGE, answered in KiB)
};
// `recent_floor`: what claim_recent(id, 0) says (the first UID no session
// has claimed as \Recent yet); the default counts none.
StatusCounts count_status(const std::vector<store::MessageInfo>& messages, uint32_t recent_floor = UINT32_MAX);

// "MESSAGES 3 UIDNEXT 7": the values in the order asked. `recent` is the
// session's own \Recent count (it only knows it for its selected mailbox).
std::string status_values(const std::vector<std::string>& items, const store::MailboxInfo& box,
                          const StatusCounts& counts, uint32_t recent);

}  // namespace pochta::imap
