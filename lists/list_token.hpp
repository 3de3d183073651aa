// The tokens a list hands out in addresses (README.md, "Mailing lists"):
// "ID.MAC", where ID names a pending item (a held post, a subscription
// waiting for confirmation) and MAC is the first 20 hex digits of
// HMAC-SHA256(the store's list secret, "PURPOSE:ID"). A forged or altered
// token fails the MAC; a guessed ID alone is worth nothing.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pochta::lists {

std::string make_token(std::string_view secret, std::string_view purpose, int64_t id);

// The ID of a token whose MAC is right for `purpose`, else nullopt. At
// most 40 octets are looked at; anything longer is refused.
std::optional<int64_t> check_token(std::string_view secret, std::string_view purpose, std::string_view token);

}  // namespace pochta::lists
