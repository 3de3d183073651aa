// The date parts of RFC 5260 section 4.2 ("year", "date", "weekday",
// "iso8601", ...) of an instant seen in a given zone, for the date and
// currentdate tests.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pochta::sieve {

// nullopt for an unknown part name.
std::optional<std::string> date_part(int64_t utc_seconds, int zone_minutes, std::string_view part);

// "+0100" -> 60; nullopt when malformed.
std::optional<int> parse_zone(std::string_view zone);

}  // namespace pochta::sieve
