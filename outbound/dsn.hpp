// Delivery status notifications (RFC 3464): the bounce a sender gets when
// mail could not be delivered (or is delayed), and the rules for when one
// is sent at all.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace pochta::outbound {

struct DsnRecipient {
    enum class Action { failed, delayed };

    std::string address;           // the recipient as the sender gave it
    Action action = Action::failed;
    // RFC 3463 status ("5.1.1"); empty = taken from `diagnostic`'s enhanced
    // code, or derived from its reply code.
    std::string status;
    std::string remote_mta;        // the host that answered; empty if none did
    std::string diagnostic;        // that host's reply, e.g. "550 5.1.1 No such user"
    std::string reason;            // our own explanation when no host replied
    std::chrono::system_clock::time_point last_attempt{};
};

struct DsnInput {
    std::string reporting_mta;     // our host name
    std::string queue_id;
    std::string original_sender;   // the envelope sender: the bounce goes there
    std::chrono::system_clock::time_point arrival{};
    std::vector<DsnRecipient> recipients;
    std::string_view original_message;   // its header section is returned
    // For reproducible output in tests; generated when empty.
    std::string boundary;
    std::string date;
};

struct Bounce {
    std::string envelope_to;   // the original sender; the bounce's own sender is null "<>"
    std::string message;       // the complete RFC 5322 message, CRLF line ends
};

// Never bounce a message with a null sender (RFC 5321 section 6.1 and
// 4.5.5): that is how bounce loops are avoided.
bool should_bounce(std::string_view envelope_from);

// More Received fields than RFC 5321 6.3 suggests any real path has.
constexpr size_t max_received_hops = 50;
bool is_mail_loop(std::string_view message);

// The Status field for a recipient: `status` if set, else from the reply.
// A failure is always class 5 and a delay class 4, keeping subject and
// detail ("4.2.2" given up on becomes "5.2.2").
std::string dsn_status(const DsnRecipient& recipient);

// Builds the multipart/report. Header lines of the returned headers are
// capped so that a huge header does not make a huge bounce.
Bounce compose_dsn(const DsnInput& input);

// RFC 5322 date-time in UTC, "Tue, 01 Oct 2024 12:00:00 +0000".
std::string rfc5322_date(std::chrono::system_clock::time_point when);

}  // namespace pochta::outbound
