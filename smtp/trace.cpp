#include "smtp/trace.hpp"

#include <fmt/format.h>

#include "common/util/strings.hpp"

namespace pochta::smtp {
namespace {

// Keeps a client-supplied name from breaking the header: only printable
// ASCII and UTF-8 survive, the rest becomes '?'.
std::string sanitize(std::string_view text) {
    std::string out;
    for (unsigned char c : text.substr(0, 255)) out.push_back((c >= 0x21 && c != 0x7f) ? static_cast<char>(c) : '?');
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
