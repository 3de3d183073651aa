#include "lists/list_notice.hpp"

#include <fmt/format.h>

#include "common/util/strings.hpp"
#include "lists/list_address.hpp"

namespace pochta::lists {

namespace {

std::string crlf_lines(std::string_view text) {
    std::string out;
    for (char c : text) {
        if (c == '\n' && (out.empty() || out.back() != '\r')) out += '\r';
        out += c;
    }
    if (!out.ends_with("\r\n")) out += "\r\n";
    return out;
}

}  // namespace

std::string notice_message(std::string_view list, const Notice& notice) {
    const std::string owner = command_address(list, ListCommand::owner);
    std::string out = fmt::format(
        "From: {}\r\nTo: {}\r\nSubject: {}\r\nDate: {}\r\nMessage-ID: <{}.list@{}>\r\n"
        "Auto-Submitted: auto-generated\r\nX-Loop: {}\r\nMIME-Version: 1.0\r\n",
        owner, notice.to, notice.subject, rfc5322_date_now(), random_hex(12), list.substr(list.rfind('@') + 1), list);
    if (!notice.reply_to.empty()) out += fmt::format("Reply-To: {}\r\n", notice.reply_to);
    if (notice.attached.empty())
        return out + "Content-Type: text/plain; charset=utf-8\r\n\r\n" + crlf_lines(notice.text);
    const std::string boundary = "=_list_" + random_hex(8);
    out += fmt::format("Content-Type: multipart/mixed; boundary=\"{}\"\r\n\r\n", boundary);
    out += fmt::format("--{}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{}", boundary, crlf_lines(notice.text));
    out += fmt::format("--{}\r\nContent-Type: message/rfc822\r\n\r\n", boundary);
    out += notice.attached;
    if (!out.ends_with("\r\n")) out += "\r\n";
    return out + fmt::format("--{}--\r\n", boundary);
}

Notice disabled_member_notice(std::string_view list, const std::string& member, int64_t days) {
    const std::string subscribe = command_address(list, ListCommand::subscribe);
    return {member, fmt::format("Your delivery from {} is stopped", list),
            fmt::format("Mail from {} to {} bounced on {} days, so the list stopped sending it.\n\n"
                        "To receive the list again, write to\n  {}\nand confirm.\n",
                        list, member, days, subscribe),
            subscribe, {}};
}

Notice disabled_owner_notice(std::string_view list, const std::string& owner, std::string_view member, int64_t days) {
    return {owner, fmt::format("{}: delivery to {} stopped by bounces", list, member),
            fmt::format("Mail from {} to {} bounced on {} days: the member's delivery is stopped.\n"
                        "To start it again: pochta list enable {} {}\n",
                        list, member, days, list, member),
            "", {}};
}

}  // namespace pochta::lists
