#include "lists/list_unsubscribe.hpp"

#include <fmt/format.h>

#include "lists/list_address.hpp"
#include "lists/list_token.hpp"

namespace pochta::lists {

namespace {

// RFC 5322 2.1.1: a line is at most 998 octets; the URL cannot be folded.
constexpr size_t max_url = 900;

}  // namespace

std::string https_url(std::string_view hostname, std::optional<uint16_t> https_port, std::string_view path) {
    if (!https_port || *https_port == 0) return "";
    return *https_port == 443 ? fmt::format("https://{}{}", hostname, path)
                              : fmt::format("https://{}:{}{}", hostname, *https_port, path);
}

std::string one_click_base(std::string_view hostname, std::optional<uint16_t> https_port) {
    return https_url(hostname, https_port, unsubscribe_path);
}

std::string one_click_fields(std::string_view base, std::string_view secret, std::string_view list,
                             std::string_view member) {
    const std::string mailto = command_address(list, ListCommand::unsubscribe);
    const std::string url = fmt::format("{}?t={}", base, make_member_token(secret, list, member));
    if (url.size() > max_url) return fmt::format("List-Unsubscribe: <mailto:{}>\r\n", mailto);
    return fmt::format("List-Unsubscribe: <{}>,\r\n <mailto:{}>\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n",
                       url, mailto);
}

}  // namespace pochta::lists
