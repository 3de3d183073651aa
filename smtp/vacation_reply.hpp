// The vacation reply itself (README.md "Vacation and forwarding"): an RFC
// 3834 auto-reply built from the Sieve vacation action (RFC 5230 section 5)
// and the header of the message answered. Pure: the responder supplies the
// date and the Message-ID.
#pragma once

#include <string>

#include "smtp/vacation_rules.hpp"

namespace pochta::smtp {

struct VacationReply {
    std::string from;        // the user's address (or :from), as "addr@domain" or "Name <addr@domain>"
    std::string to;          // the envelope sender of the message answered
    std::string subject;     // :subject (UTF-8), "" for "Auto: " and the original subject
    std::string reason;      // the text, or with `mime` a MIME entity (its Content-* fields, a blank line, the body)
    bool mime = false;
    std::string date;        // RFC 5322 date-time
    std::string message_id;  // "<id@host>"
};

// The complete message with CRLF line ends: From, To, Subject, Date,
// Message-ID, In-Reply-To and References (RFC 3834 3.1.5),
// Auto-Submitted: auto-replied (RFC 3834 5), and the body, base64 when it
// is not short-lined ASCII. Control characters never reach a header.
std::string compose_vacation_reply(const VacationReply& reply, const IncomingHeader& original);

}  // namespace pochta::smtp
