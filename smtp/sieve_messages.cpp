#include "smtp/sieve_messages.hpp"

#include <fmt/format.h>

#include "common/util/strings.hpp"
#include "sieve/message.hpp"

namespace pochta::smtp {
namespace {

constexpr size_t max_reply_reason = 200;

bool printable_line(std::string_view text) {
    for (unsigned char c : text)
        if (c < 0x20 || c > 0x7e) return false;
    return true;
}

// Mail that only carries data into a field: one line, no control characters.
std::string one_line(std::string_view text) {
    std::string out;
    for (unsigned char c : text) out.push_back(c < 0x20 || c == 0x7f ? ' ' : static_cast<char>(c));
    return out;
}

std::string message_id(std::string_view hostname) { return fmt::format("<{}@{}>", random_hex(12), hostname); }

// Lines of the body end in CRLF, whatever the reason held.
std::string crlf_lines(std::string_view text) {
    std::string out;
    for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\r') continue;
        if (text[i] == '\n') out += "\r\n";
        else out.push_back(text[i]);
    }
    if (out.size() < 2 || out.compare(out.size() - 2, 2, "\r\n") != 0) out += "\r\n";
    return out;
}

}  // namespace

std::string header_value(std::string_view header, std::string_view name) {
    for (const auto& field : sieve::split_header(header))
        if (iequals(field.name, name)) return one_line(field.value);
    return {};
}

std::string rejection_message(const RejectionFacts& f) {
    const std::string boundary = "=_rejection_" + random_hex(8);
    const std::string original_id = header_value(f.original_header, "Message-ID");
    std::string subject = header_value(f.original_header, "Subject");
    if (subject.size() > 200) subject.resize(200);
    std::string out = fmt::format(
        "From: Mail Delivery System <MAILER-DAEMON@{host}>\r\n"
        "To: <{sender}>\r\n"
        "Subject: Automatically rejected mail{colon}{subject}\r\n"
        "Date: {date}\r\n"
        "Message-ID: {id}\r\n"
        "Auto-Submitted: auto-replied (rejected)\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: multipart/report; report-type=disposition-notification;\r\n"
        "\tboundary=\"{boundary}\"\r\n"
        "\r\n"
        "This is a MIME-encapsulated message.\r\n"
        "\r\n"
        "--{boundary}\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: 8bit\r\n"
        "\r\n"
        "Your message to <{rcpt}> was automatically rejected:\r\n"
        "{reason}\r\n"
        "--{boundary}\r\n"
        "Content-Type: message/disposition-notification\r\n"
        "\r\n"
        "Reporting-UA: {host}; pochta\r\n"
        "Final-Recipient: rfc822; {rcpt}\r\n"
        "{original_id_field}"
        "Disposition: automatic-action/MDN-sent-automatically; deleted\r\n"
        "\r\n"
        "--{boundary}\r\n"
        "Content-Type: text/rfc822-headers\r\n"
        "\r\n"
        "{header}"
        "\r\n"
        "--{boundary}--\r\n",
        fmt::arg("host", f.hostname), fmt::arg("sender", f.sender), fmt::arg("colon", subject.empty() ? "" : ": "),
        fmt::arg("subject", subject), fmt::arg("date", rfc5322_date_now()), fmt::arg("id", message_id(f.hostname)),
        fmt::arg("boundary", boundary), fmt::arg("rcpt", f.recipient), fmt::arg("reason", crlf_lines(f.reason)),
        fmt::arg("original_id_field", original_id.empty() ? "" : "Original-Message-ID: " + original_id + "\r\n"),
        fmt::arg("header", crlf_lines(f.original_header)));
    return out;
}

std::string error_notice(std::string_view hostname, std::string_view user, std::string_view script,
                         std::string_view error) {
    return fmt::format(
        "From: Mail Delivery System <MAILER-DAEMON@{host}>\r\n"
        "To: <{user}>\r\n"
        "Subject: Your Sieve script \"{script}\" failed\r\n"
        "Date: {date}\r\n"
        "Message-ID: {id}\r\n"
        "Auto-Submitted: auto-generated\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: 8bit\r\n"
        "\r\n"
        "Your Sieve script \"{script}\" stopped while filing a message:\r\n"
        "\r\n"
        "  {error}\r\n"
        "\r\n"
        "The message was kept in your INBOX, and so is every message while\r\n"
        "the script fails. You are told once for this version of the script.\r\n",
        fmt::arg("host", hostname), fmt::arg("user", user), fmt::arg("script", one_line(script)),
        fmt::arg("date", rfc5322_date_now()), fmt::arg("id", message_id(hostname)), fmt::arg("error", one_line(error)));
}

std::string reject_reply(std::string_view reason) {
    std::string_view text = trim(reason);
    if (text.empty() || text.size() > max_reply_reason || !printable_line(text))
        return "550 5.7.1 Message rejected by the recipient's filter";
    return fmt::format("550 5.7.1 {}", text);
}

}  // namespace pochta::smtp
