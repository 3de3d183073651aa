// When a vacation reply may be sent at all (README.md "Vacation and
// forwarding"): RFC 5230 sections 4.5 and 4.6 and RFC 3834 section 2. Pure
// functions of the message's header and envelope: the responder
// (smtp/vacation.hpp) adds the memory of earlier replies.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pochta::smtp {

// What the rules and the reply read in the header of the message answered.
// Bounded: field values are cut at max_vacation_field octets and at most
// max_vacation_recipients addresses are kept.
struct IncomingHeader {
    std::string message_id;      // the Message-ID field as written ("<a@b>"), "" when none
    std::string references;      // the References field, unfolded
    std::string subject;         // unfolded, encoded words left as written
    std::string auto_submitted;  // its keyword ("auto-replied"), lowercased; "" when absent
    std::string precedence;      // lowercased
    bool list = false;           // a List-* field of RFC 2369 or RFC 2919
    bool suppress = false;       // X-Auto-Response-Suppress naming OOF or All
    std::vector<std::string> recipients;  // the addr-specs of To, Cc, Bcc and their Resent- forms
};

constexpr size_t max_vacation_field = 4096;
constexpr size_t max_vacation_recipients = 1000;

IncomingHeader read_incoming_header(std::string_view header);

// Why no reply goes to `envelope_sender` for this message, or nullopt when
// one may (the :days memory aside). `is_own(address)`: whether an address
// is the user's (its own, the envelope recipient, :addresses, an alias).
std::optional<std::string> no_reply_reason(std::string_view envelope_sender, const IncomingHeader& header,
                                           const std::function<bool(std::string_view)>& is_own);

}  // namespace pochta::smtp
