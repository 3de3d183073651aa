#include "smtp/trace.hpp"

#include <fmt/format.h>

#include "common/util/strings.hpp"

namespace pochta::smtp {
namespace {

// What of a HELO/EHLO argument may stand in the "from" clause: the
// characters of a domain or an address literal ("[192.0.2.1]",
// "[IPv6:2001:db8::1]") and the rest of RFC 5322 atext.
bool helo_char(unsigned char c) {
    if (c <= 0x20 || c >= 0x7f) return false;  // controls, space, DEL and every 8-bit octet
    switch (c) {
        case '(': case ')': case '<': case '>': case '@': case ',': case ';': case '\\': case '"':
            return false;  // would open a comment, an address or end the field's tokens
        default: return true;
    }
}

// Keeps a client-supplied name from breaking the header: the EHLO domain is
// ASCII (RFC 5321 4.1.1.1; RFC 6531 3.7.1 even for SMTPUTF8), so raw 8-bit
// octets and anything that is not a domain character become '?', keeping
// the field valid ASCII (RFC 5322 3.6.7).
std::string sanitize(std::string_view text) {
    std::string out;
    for (unsigned char c : text.substr(0, 255)) out.push_back(helo_char(c) ? static_cast<char>(c) : '?');
    return out.empty() ? std::string("unknown") : out;
}

std::string protocol_name(const ReceivedInfo& info) {
    // RFC 3848 and RFC 6531 section 3.7.4.
    std::string name = info.smtputf8 ? "UTF8SMTP" : (info.esmtp ? "ESMTP" : "SMTP");
    if (info.smtputf8 || info.esmtp) {
        if (!info.tls.empty()) name += "S";
        if (info.authenticated) name += "A";
    }
    return name;
}

}  // namespace

std::string received_header(const ReceivedInfo& info) {
    std::string out = fmt::format("Received: from {} ([{}])\r\n\tby {} (pochta) with {}", sanitize(info.helo),
                                  info.client_ip, info.hostname, protocol_name(info));
    if (!info.tls.empty()) out += fmt::format(" ({})", info.tls);
    out += fmt::format("\r\n\tid {}", info.queue_id);
    if (!info.single_recipient.empty()) out += fmt::format("\r\n\tfor <{}>", info.single_recipient);
    out += fmt::format(";\r\n\t{}\r\n", info.date);
    return out;
}

std::string return_path_header(std::string_view sender) { return fmt::format("Return-Path: <{}>\r\n", sender); }

size_t count_received(std::string_view message) {
    size_t count = 0;
    size_t pos = 0;
    while (pos < message.size()) {
        size_t eol = message.find('\n', pos);
        std::string_view line = message.substr(pos, eol == std::string_view::npos ? std::string_view::npos : eol - pos);
        if (line.empty() || line == "\r") break;  // end of the header section
        if (istarts_with(line, "Received:")) count++;
        if (eol == std::string_view::npos) break;
        pos = eol + 1;
    }
    return count;
}

}  // namespace pochta::smtp
