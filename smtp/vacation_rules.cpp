#include "smtp/vacation_rules.hpp"

#include <array>

#include "common/mime/address_list.hpp"
#include "common/mime/header.hpp"
#include "common/util/strings.hpp"

namespace pochta::smtp {

namespace {

// RFC 2369 and RFC 2919: any of them marks mail sent through a list.
constexpr std::array<std::string_view, 7> list_fields = {"list-id",        "list-help",  "list-subscribe",
                                                        "list-unsubscribe", "list-post", "list-owner",
                                                        "list-archive"};

// The fields naming the recipients the author meant (RFC 5230 4.5).
constexpr std::array<std::string_view, 6> recipient_fields = {"to",        "cc",        "bcc",
                                                             "resent-to", "resent-cc", "resent-bcc"};

bool is_one_of(std::string_view name, auto& names) {
    for (std::string_view n : names)
        if (iequals(name, n)) return true;
    return false;
}

// The first word of a field like "auto-replied; owner=..." or "bulk (x)".
std::string keyword(std::string_view value) {
    size_t end = value.find_first_of(";( \t");
    return to_lower(trim(value.substr(0, end)));
}

void add_recipients(std::string_view value, std::vector<std::string>& out) {
    for (const mime::AddressEntry& entry : mime::parse_address_list(value, max_vacation_recipients)) {
        if (out.size() >= max_vacation_recipients) return;
        if (entry.kind == mime::AddressEntry::Kind::mailbox && entry.host)
            out.push_back(entry.mailbox + "@" + *entry.host);
    }
}

// Microsoft's X-Auto-Response-Suppress: a list of words; OOF and All ask
// for no out-of-office reply.
bool suppresses_replies(std::string_view value) {
    for (std::string_view word : split(value, ',')) {
        word = trim(word);
        if (iequals(word, "oof") || iequals(word, "all")) return true;
    }
    return false;
}

// RFC 5230 4.6: senders that are programs, not people: mailer daemons and
// list software (owner-*, *-request, LISTSERV, majordomo); pochta adds the
// usual no-reply names, whose replies would only bounce.
bool is_program_sender(std::string_view sender) {
    std::string local = to_lower(sender.substr(0, sender.rfind('@')));
    static constexpr std::array<std::string_view, 6> programs = {"mailer-daemon", "listserv", "majordomo",
                                                                 "noreply",       "no-reply", "do-not-reply"};
    for (std::string_view p : programs)
        if (local == p) return true;
    return local.starts_with("owner-") || local.ends_with("-request") || local.ends_with("-owner") ||
           local.ends_with("-bounces");
}

}  // namespace

IncomingHeader read_incoming_header(std::string_view header) {
    IncomingHeader out;
    mime::for_each_field(header, max_vacation_field, [&](std::string_view name, std::string value) {
        if (iequals(name, "message-id")) out.message_id = trim(value);
        else if (iequals(name, "references")) out.references = trim(value);
        else if (iequals(name, "subject")) out.subject = trim(value);
        else if (iequals(name, "auto-submitted")) out.auto_submitted = keyword(value);
        else if (iequals(name, "precedence")) out.precedence = keyword(value);
        else if (iequals(name, "x-auto-response-suppress")) out.suppress = out.suppress || suppresses_replies(value);
        else if (is_one_of(name, list_fields)) out.list = true;
        else if (is_one_of(name, recipient_fields)) add_recipients(value, out.recipients);
        return true;
    });
    return out;
}

std::optional<std::string> no_reply_reason(std::string_view envelope_sender, const IncomingHeader& header,
                                           const std::function<bool(std::string_view)>& is_own) {
    if (envelope_sender.empty()) return "null sender";
    if (is_program_sender(envelope_sender)) return "sender is a program";
    if (is_own(envelope_sender)) return "sender is the user";
    if (!header.auto_submitted.empty() && header.auto_submitted != "no") return "Auto-Submitted message";
    if (header.list) return "list message";
    if (header.precedence == "bulk" || header.precedence == "list" || header.precedence == "junk")
        return "Precedence " + header.precedence;
    if (header.suppress) return "X-Auto-Response-Suppress";
    for (const std::string& address : header.recipients)
        if (is_own(address)) return std::nullopt;
    return "user not in To, Cc or Bcc";
}

}  // namespace pochta::smtp
