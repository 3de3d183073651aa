// The tokens a list hands out in addresses (README.md, "Mailing lists"):
// "ID.MAC", where ID names a pending item (a held post, a subscription
// waiting for confirmation) and MAC is the first 20 hex digits of
// HMAC-SHA256(the store's list secret, "PURPOSE:ID"). A forged or altered
// token fails the MAC; a guessed ID alone is worth nothing.
//
// A member's one-click unsubscribe token (RFC 8058, in the List-Unsubscribe
// URL of the member's copies) names no pending item but the list and the
// member: "HEX.MAC", HEX the list and member addresses (joined by a line
// feed) in hex, MAC the first 32 hex digits of HMAC-SHA256(the list secret,
// "unsubscribe:" LIST LF MEMBER). It stays valid while the secret does.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pochta::lists {

std::string make_token(std::string_view secret, std::string_view purpose, int64_t id);

// The ID of a token whose MAC is right for `purpose`, else nullopt. At
// most max_id_token octets are looked at; anything longer is refused.
constexpr size_t max_id_token = 40;
std::optional<int64_t> check_token(std::string_view secret, std::string_view purpose, std::string_view token);

struct MemberToken {
    std::string list;
    std::string member;
};

std::string make_member_token(std::string_view secret, std::string_view list, std::string_view member);

// The list and member of a token whose MAC is right, else nullopt. At most
// max_member_token octets are looked at; anything longer is refused.
constexpr size_t max_member_token = 1100;
std::optional<MemberToken> check_member_token(std::string_view secret, std::string_view token);

}  // namespace pochta::lists
