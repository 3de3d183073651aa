// RFC 8058 one-click unsubscribe (README.md, "Mailing lists", "One-click
// unsubscribe"): each remote member's copy of a post carries its own
//   List-Unsubscribe: <https://HOST/lists/unsubscribe?t=TOKEN>,
//    <mailto:LIST-unsubscribe@DOMAIN>
//   List-Unsubscribe-Post: List-Unsubscribe=One-Click
// (both signed by DKIM, which signs these fields when present), where TOKEN
// is the member's token (lists/list_token.hpp). The URL is served by the
// https listener (http/routes_lists.cpp): a POST unsubscribes, a GET only
// shows a form that POSTs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pochta::lists {

// What a one-click request found (ListEngine::unsubscribe_one_click).
struct OneClickOutcome {
    enum class State { invalid, member, not_member, unsubscribed, failed };
    State state = State::invalid;
    std::string list;
    std::string member;
};

constexpr std::string_view unsubscribe_path = "/lists/unsubscribe";
// A held post's page for its moderators (README.md, "Posting policies").
constexpr std::string_view moderate_path = "/lists/moderate";

// What a moderation link found or did (ListEngine::moderate_by_link).
struct ModerationOutcome {
    enum class State { invalid, held, gone, approved, rejected, failed };
    State state = State::invalid;
    std::string list;
    std::string author;
};
enum class LinkDecision { look, approve, reject };

// "https://HOSTNAME[:PORT]PATH", or "" without an https listener on a fixed
// port configured (port 0: the bound one is not known here).
std::string https_url(std::string_view hostname, std::optional<uint16_t> https_port, std::string_view path);

// "https://HOSTNAME[:PORT]/lists/unsubscribe", or "" without an https
// listener on a fixed port configured: members then get the mailto form only.
std::string one_click_base(std::string_view hostname, std::optional<uint16_t> https_port);

// The member's List-Unsubscribe and List-Unsubscribe-Post lines (CRLF
// ended), `base` being one_click_base(); only the mailto List-Unsubscribe
// when the URL would not fit a header line (addresses of hundreds of octets).
std::string one_click_fields(std::string_view base, std::string_view secret, std::string_view list,
                             std::string_view member);

}  // namespace pochta::lists
