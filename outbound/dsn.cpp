#include "outbound/dsn.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <ctime>

#include "common/mime/header.hpp"
#include "common/util/strings.hpp"
#include "outbound/smtp_client_reply.hpp"
#include "smtp/trace.hpp"

namespace pochta::outbound {
namespace {

constexpr size_t max_returned_header = 64 * 1024;
constexpr size_t max_field_text = 900;   // a Diagnostic-Code is a reply, not a novel

bool has_non_ascii(std::string_view s) {
    return std::any_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
}

// Remote and local text goes into header-like fields: no line breaks, no
// control characters, bounded.
std::string field_text(std::string_view text) {
    std::string out;
    for (unsigned char c : text.substr(0, max_field_text)) out.push_back(c < 0x20 || c == 0x7f ? ' ' : static_cast<char>(c));
    return out;
}

// The header section of the original, with CRLF line ends, cut at a line
// boundary when it is too big.
std::string original_headers(std::string_view message) {
    std::string out;
    size_t pos = 0;
    while (pos < message.size()) {
        size_t eol = message.find('\n', pos);
        std::string_view line = message.substr(pos, eol == std::string_view::npos ? std::string_view::npos : eol - pos);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.empty()) break;
        if (out.size() + line.size() + 2 > max_returned_header) break;
        out.append(line);
        out += "\r\n";
        if (eol == std::string_view::npos) break;
        pos = eol + 1;
    }
    return out;
}

std::string recipient_explanation(const DsnRecipient& r) {
    if (!r.diagnostic.empty() && !r.remote_mta.empty())
        return fmt::format("host {} said: {}", field_text(r.remote_mta), field_text(r.diagnostic));
    if (!r.diagnostic.empty()) return field_text(r.diagnostic);
    return r.reason.empty() ? std::string("delivery failed") : field_text(r.reason);
}

std::string human_part(const DsnInput& in, bool any_failed) {
    std::string out = fmt::format("This is the mail system at host {}.\r\n\r\n", in.reporting_mta);
    if (any_failed) {
        out += "Your message could not be delivered to one or more recipients.\r\n"
               "The reasons are given below. Nothing more will be tried for them.\r\n\r\n";
    } else {
        out += "Your message could not be delivered yet to one or more recipients.\r\n"
               "Delivery will be tried again; you do not need to send it again.\r\n\r\n";
    }
    for (const auto& r : in.recipients) {
        const char* what = r.action == DsnRecipient::Action::failed ? "failed" : "delayed";
        out += fmt::format("<{}>: {}: {}\r\n", field_text(r.address), what, recipient_explanation(r));
    }
    return out;
}

std::string address_field(std::string_view name, std::string_view address) {
    // RFC 6533: a UTF-8 address has its own type.
    return mime::folded_field(name,
                              fmt::format("{}; {}", has_non_ascii(address) ? "utf-8" : "rfc822", field_text(address)));
}

std::string recipient_fields(const DsnRecipient& r) {
    std::string out = "\r\n";
    out += address_field("Final-Recipient", r.address);
    out += fmt::format("Action: {}\r\n", r.action == DsnRecipient::Action::failed ? "failed" : "delayed");
    out += fmt::format("Status: {}\r\n", dsn_status(r));
    if (!r.remote_mta.empty()) out += mime::folded_field("Remote-MTA", "dns; " + field_text(r.remote_mta));
    if (!r.diagnostic.empty()) out += mime::folded_field("Diagnostic-Code", "smtp; " + field_text(r.diagnostic));
    else if (!r.reason.empty()) out += mime::folded_field("Diagnostic-Code", "X-Pochta; " + field_text(r.reason));
    if (r.last_attempt.time_since_epoch().count() != 0)
        out += fmt::format("Last-Attempt-Date: {}\r\n", rfc5322_date(r.last_attempt));
    return out;
}

std::string status_part(const DsnInput& in) {
    std::string out = fmt::format("Reporting-MTA: dns; {}\r\n", in.reporting_mta);
    if (!in.queue_id.empty()) out += fmt::format("X-Pochta-Queue-ID: {}\r\n", field_text(in.queue_id));
    if (!in.original_sender.empty()) out += address_field("X-Original-Sender", in.original_sender);
    if (in.arrival.time_since_epoch().count() != 0)
        out += fmt::format("Arrival-Date: {}\r\n", rfc5322_date(in.arrival));
    for (const auto& r : in.recipients) out += recipient_fields(r);
    return out;
}

// A part with UTF-8 in it says so, so that a relay knows it needs 8BITMIME.
std::string part(std::string_view boundary, std::string_view headers, std::string_view body) {
    return fmt::format("--{}\r\n{}{}\r\n{}", boundary, headers,
                       has_non_ascii(body) ? "Content-Transfer-Encoding: 8bit\r\n" : "", body);
}

}  // namespace

bool should_bounce(std::string_view envelope_from) { return !trim(envelope_from).empty() && envelope_from != "<>"; }

bool is_mail_loop(std::string_view message) { return smtp::count_received(message) > max_received_hops; }

std::string dsn_status(const DsnRecipient& r) {
    char klass = r.action == DsnRecipient::Action::failed ? '5' : '4';
    std::string status = r.status;
    if (status.empty() && !r.diagnostic.empty()) status = parse_enhanced_status(r.diagnostic.size() > 4 ? std::string_view(r.diagnostic).substr(4) : "");
    if (status.empty() && !r.diagnostic.empty() && (r.diagnostic[0] == '4' || r.diagnostic[0] == '5'))
        status = std::string(1, r.diagnostic[0]) + ".0.0";
    if (parse_enhanced_status(status).empty()) status = "5.0.0";
    status[0] = klass;
    return status;
}

std::string rfc5322_date(std::chrono::system_clock::time_point when) {
    static const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    std::time_t t = std::chrono::system_clock::to_time_t(when);
    std::tm tm{};
    gmtime_r(&t, &tm);
    return fmt::format("{}, {:02} {} {} {:02}:{:02}:{:02} +0000", days[tm.tm_wday % 7], tm.tm_mday,
                       months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

Bounce compose_dsn(const DsnInput& in) {
    bool any_failed = std::any_of(in.recipients.begin(), in.recipients.end(),
                                  [](const DsnRecipient& r) { return r.action == DsnRecipient::Action::failed; });
    bool utf8_addresses = has_non_ascii(in.original_sender) ||
                          std::any_of(in.recipients.begin(), in.recipients.end(),
                                      [](const DsnRecipient& r) { return has_non_ascii(r.address); });
    std::string headers = original_headers(in.original_message);
    std::string boundary = in.boundary.empty() ? fmt::format("{}/{}", random_hex(8), in.reporting_mta) : in.boundary;
    std::string date = in.date.empty() ? rfc5322_date_now() : in.date;

    std::string msg;
    msg += fmt::format("From: Mail Delivery System <MAILER-DAEMON@{}>\r\n", in.reporting_mta);
    msg += fmt::format("To: <{}>\r\n", field_text(in.original_sender));
    msg += any_failed ? "Subject: Undelivered Mail Returned to Sender\r\n"
                      : "Subject: Delayed Mail (still being retried)\r\n";
    msg += fmt::format("Date: {}\r\n", date);
    msg += fmt::format("Message-ID: <{}.{}@{}>\r\n", random_hex(8), field_text(in.queue_id), in.reporting_mta);
    msg += "Auto-Submitted: auto-replied\r\n";
    msg += "MIME-Version: 1.0\r\n";
    msg += fmt::format("Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary=\"{}\"\r\n", boundary);
    msg += "\r\nThis is a MIME-encapsulated message.\r\n\r\n";
    msg += part(boundary, "Content-Description: Notification\r\nContent-Type: text/plain; charset=utf-8\r\n",
                human_part(in, any_failed));
    msg += "\r\n";
    // RFC 6533 types when an address is UTF-8 or the headers are not ASCII.
    msg += part(boundary,
                fmt::format("Content-Description: Delivery report\r\nContent-Type: message/{}delivery-status\r\n",
                            utf8_addresses ? "global-" : ""),
                status_part(in));
    msg += "\r\n";
    msg += part(boundary,
                fmt::format("Content-Description: Undelivered Message Headers\r\nContent-Type: {}\r\n",
                            has_non_ascii(headers) ? "message/global-headers" : "text/rfc822-headers"),
                headers);
    msg += fmt::format("\r\n--{}--\r\n", boundary);
    return Bounce{in.original_sender, std::move(msg)};
}

}  // namespace pochta::outbound
