#include "imap/envelope.hpp"

#include "common/mime/address_list.hpp"
#include "imap/imap_string.hpp"

namespace pochta::imap {

namespace {

using mime::AddressEntry;

void append_entry(std::string& out, const AddressEntry& a) {
    out.push_back('(');
    switch (a.kind) {
        case AddressEntry::Kind::group_start:
            out += "NIL NIL ";
            append_string(out, a.mailbox);
            out += " NIL";
            break;
        case AddressEntry::Kind::group_end:
            out += "NIL NIL NIL NIL";
            break;
        case AddressEntry::Kind::mailbox:
            append_nstring(out, a.name);
            out.push_back(' ');
            append_nstring(out, a.route);
            out.push_back(' ');
            // A NIL host would mean group syntax; missing pieces get the
            // placeholders Dovecot uses, which clients already cope with.
            append_string(out, a.mailbox.empty() ? "MISSING_MAILBOX" : a.mailbox);
            out.push_back(' ');
            append_string(out, a.host && !a.host->empty() ? *a.host : "MISSING_DOMAIN");
            break;
    }
    out.push_back(')');
}

void append_entries(std::string& out, const std::vector<AddressEntry>& entries) {
    if (entries.empty()) {
        out += "NIL";
        return;
    }
    out.push_back('(');
    for (const auto& e : entries) append_entry(out, e);
    out.push_back(')');
}

std::vector<AddressEntry> parse(const std::optional<std::string>& raw) {
    if (!raw) return {};
    return mime::parse_address_list(*raw);
}

}  // namespace

void append_address_list(std::string& out, const std::optional<std::string>& raw) {
    append_entries(out, parse(raw));
}

std::string render_envelope(const mime::Part& message) {
    static const mime::EnvelopeFields none;
    const mime::EnvelopeFields& e = message.envelope ? *message.envelope : none;
    std::string out = "(";
    append_nstring(out, e.date);
    out.push_back(' ');
    append_nstring(out, e.subject);
    out.push_back(' ');
    std::vector<AddressEntry> from = parse(e.from);
    append_entries(out, from);
    out.push_back(' ');
    // RFC 3501: the server fills an absent or empty Sender / Reply-To from From.
    std::vector<AddressEntry> sender = parse(e.sender);
    append_entries(out, sender.empty() ? from : sender);
    out.push_back(' ');
    std::vector<AddressEntry> reply_to = parse(e.reply_to);
    append_entries(out, reply_to.empty() ? from : reply_to);
    for (const auto* list : {&e.to, &e.cc, &e.bcc}) {
        out.push_back(' ');
        append_address_list(out, *list);
    }
    out.push_back(' ');
    append_nstring(out, e.in_reply_to);
    out.push_back(' ');
    append_nstring(out, e.message_id);
    out.push_back(')');
    return out;
}

}  // namespace pochta::imap
