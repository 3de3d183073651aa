// Submission hygiene (README.md, "Submission hygiene"): on the submission
// listeners, the header fields a client left out that every message needs
// are added, as Postfix does: Message-ID, Date, and From (the
// authenticated address). A message without From breaks some clients, and
// one without Message-ID or Date is scored as spam by many receivers.
#pragma once

#include <string>
#include <string_view>

namespace pochta::smtp {

struct SubmitterIdentity {
    std::string_view hostname;  // ours: the right side of the Message-ID
    std::string_view user;      // the authenticated address: From when missing
};

// The fields to add before the message (each ending in CRLF), "" when none
// is missing. `head` is the start of the message; `whole_message` says it
// is all of it. When the header section does not end within `head` of a
// longer message (a header over 128 KiB, README.md "Spooling"), nothing is
// added: what it holds cannot be judged. A message that starts with a
// line that is not a header field has no header: the fields are followed
// by the empty line that separates them from that body.
std::string missing_header_fields(std::string_view head, bool whole_message, const SubmitterIdentity& who);

}  // namespace pochta::smtp
