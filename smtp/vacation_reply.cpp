#include "smtp/vacation_reply.hpp"

#include <fmt/format.h>

#include <string_view>
#include <vector>

#include "common/mime/header.hpp"
#include "common/util/strings.hpp"

namespace pochta::smtp {

namespace {

constexpr size_t base64_line = 76;            // RFC 2045 6.8
constexpr size_t max_subject = 900;         // octets of subject text, before encoding
constexpr size_t max_reference_ids = 20;    // RFC 5322 3.6.4 lets a long References lose middle ids
constexpr size_t max_message_id = 250;      // longer ids are left out: a field line stays under 998 octets
constexpr size_t max_body_line = 998;       // RFC 5322 2.1.1
constexpr size_t encoded_word_octets = 39;  // 52 base64 characters: "Subject: " and one word fit 76 (RFC 2047 2)

bool is_ascii(std::string_view s) {
    for (char c : s)
        if (static_cast<unsigned char>(c) > 127) return false;
    return true;
}

// Control characters become spaces: a header value is one logical line.
std::string header_safe(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (static_cast<unsigned char>(c) < 32 || c == 127) c = ' ';
    return out;
}

// The longest prefix of at most `max` octets that does not split a UTF-8 sequence.
std::string_view utf8_prefix(std::string_view s, size_t max) {
    if (s.size() <= max) return s;
    size_t end = max;
    while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;
    return s.substr(0, end);
}

// RFC 2047 B-encoded words of UTF-8 text, each whole code points.
std::string encoded_words(std::string_view text) {
    std::string out;
    while (!text.empty()) {
        std::string_view chunk = utf8_prefix(text, encoded_word_octets);
        if (chunk.empty()) chunk = text.substr(0, 1);  // a stray continuation octet
        if (!out.empty()) out += ' ';
        out += "=?UTF-8?B?" + base64_encode(chunk) + "?=";
        text.remove_prefix(chunk.size());
    }
    return out;
}

std::string subject_field(const VacationReply& reply, const IncomingHeader& original) {
    // RFC 5230 4.1: without :subject, "Auto: " and the original subject.
    std::string text = reply.subject.empty() ? "Auto: " + original.subject : reply.subject;
    text = header_safe(utf8_prefix(text, max_subject));
    return mime::folded_field("Subject", is_ascii(text) ? text : encoded_words(text));
}

// The msg-ids of a References or Message-ID value ("<a@b> <c@d>").
std::vector<std::string> message_ids(std::string_view value) {
    std::vector<std::string> ids;
    const std::string clean = header_safe(value);
    for (std::string_view word : split_words(clean))
        if (word.size() > 2 && word.size() <= max_message_id && word.front() == '<' && word.back() == '>')
            ids.emplace_back(word);
    return ids;
}

// RFC 3834 3.1.5 and RFC 5322 3.6.4: In-Reply-To is the original's
// Message-ID; References its References and then its Message-ID.
std::string threading_fields(const IncomingHeader& original) {
    auto own = message_ids(original.message_id);
    if (own.empty()) return "";
    auto ids = message_ids(original.references);
    if (ids.size() + 1 > max_reference_ids) ids.erase(ids.begin() + 1, ids.end() - (max_reference_ids - 2));
    ids.push_back(own.front());
    std::string references;
    for (const std::string& id : ids) references += fmt::format("{}{}", references.empty() ? "" : " ", id);
    return fmt::format("In-Reply-To: {}\r\n", own.front()) + mime::folded_field("References", references);
}

// The text with every line ending in CRLF.
std::string crlf_lines(std::string_view text) {
    std::string out;
    for (std::string_view line : split(text, '\n')) {
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        out += line;
        out += "\r\n";
    }
    if (text.empty() || text.back() == '\n') out.resize(out.size() - 2);  // the split's empty last piece
    return out;
}

bool fits_7bit(std::string_view crlf_text) {
    if (!is_ascii(crlf_text)) return false;
    for (std::string_view line : split(crlf_text, '\n'))
        if (line.size() > max_body_line + 1) return false;
    return true;
}

std::string base64_lines(std::string_view data) {
    const std::string encoded = base64_encode(data);
    std::string out;
    for (size_t i = 0; i < encoded.size(); i += base64_line) out += encoded.substr(i, base64_line) + "\r\n";
    return out;
}

// A plain reason: a text/plain UTF-8 part, base64 when it is not 7bit.
std::string text_entity(std::string_view reason) {
    std::string body = crlf_lines(reason);
    if (!body.ends_with("\r\n")) body += "\r\n";
    const bool plain = fits_7bit(body);
    return fmt::format("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: {}\r\n\r\n{}",
                       plain ? "7bit" : "base64", plain ? body : base64_lines(body));
}

// A :mime reason: only its Content-* fields go into the reply's header, so
// the script cannot add a From or a Bcc of its own.
std::string mime_entity(std::string_view reason) {
    const std::string entity = crlf_lines(reason);
    const size_t body = mime::find_header_end(entity, 0, entity.size());
    std::string out;
    mime::for_each_field(std::string_view(entity).substr(0, body), max_vacation_field,
                         [&](std::string_view name, std::string value) {
                             if (istarts_with(name, "content-")) out += mime::folded_field(name, header_safe(value));
                             return true;
                         });
    return out + "\r\n" + entity.substr(body);
}

}  // namespace

std::string compose_vacation_reply(const VacationReply& reply, const IncomingHeader& original) {
    std::string message = fmt::format("From: {}\r\nTo: <{}>\r\n", header_safe(reply.from), header_safe(reply.to));
    message += subject_field(reply, original);
    message += fmt::format("Date: {}\r\nMessage-ID: {}\r\n", header_safe(reply.date), header_safe(reply.message_id));
    message += threading_fields(original);
    message += "Auto-Submitted: auto-replied (vacation)\r\nMIME-Version: 1.0\r\n";
    message += reply.mime ? mime_entity(reply.reason) : text_entity(reply.reason);
    return message;
}

}  // namespace pochta::smtp
