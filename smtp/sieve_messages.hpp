// The messages Sieve at delivery writes itself (README.md, "Sieve at
// delivery"): the RFC 5429 rejection (an MDN, RFC 8098, with the reason)
// to the sender, the one-time notice of a failing script to the user, and
// the SMTP reply of a reject every recipient agreed on.
#pragma once

#include <string>
#include <string_view>

namespace pochta::smtp {

struct RejectionFacts {
    std::string hostname;
    std::string sender;           // the envelope sender the MDN goes to
    std::string recipient;        // the user who rejected it
    std::string original_header;  // the rejected message's header block
    std::string reason;
};

// RFC 5429 2.1.2: multipart/report; report-type=disposition-notification,
// Disposition automatic-action/MDN-sent-automatically; deleted.
std::string rejection_message(const RejectionFacts& facts);

// A message to `user` saying their script `script` failed with `error`
// and that the message was kept in INBOX.
std::string error_notice(std::string_view hostname, std::string_view user, std::string_view script,
                         std::string_view error);

// "550 5.7.1 " and the reason, when it is one line of printable ASCII of
// at most 200 octets; else a general text.
std::string reject_reply(std::string_view reason);

// The value of the first field `name` in a header block, unfolded; "" when none.
std::string header_value(std::string_view header, std::string_view name);

}  // namespace pochta::smtp
