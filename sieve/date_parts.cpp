#include "sieve/date_parts.hpp"

#include <fmt/format.h>

#include <array>

#include "common/util/strings.hpp"

namespace pochta::sieve {

namespace {

struct Civil {
    int64_t year;
    int month, day, hour, minute, second, weekday;
    int64_t days;  // since 1970-01-01
};

// Howard Hinnant's days-to-civil algorithm, proleptic Gregorian.
Civil civil(int64_t seconds) {
    int64_t days = seconds >= 0 ? seconds / 86400 : -((-seconds + 86399) / 86400);
    int64_t rest = seconds - days * 86400;
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
    int month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
    int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);
    int weekday = static_cast<int>(((days % 7) + 11) % 7);  // 1970-01-01 was a Thursday (4)
    return Civil{year, month, day, static_cast<int>(rest / 3600), static_cast<int>(rest / 60 % 60),
                 static_cast<int>(rest % 60), weekday, days};
}

std::string zone_text(int minutes, bool colon) {
    char sign = minutes < 0 ? '-' : '+';
    int m = minutes < 0 ? -minutes : minutes;
    return colon ? fmt::format("{}{:02}:{:02}", sign, m / 60, m % 60) : fmt::format("{}{:02}{:02}", sign, m / 60, m % 60);
}

constexpr std::array<const char*, 7> day_names{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr std::array<const char*, 12> month_names{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

}  // namespace

std::optional<int> parse_zone(std::string_view z) {
    if (z.size() != 5 || (z[0] != '+' && z[0] != '-')) return std::nullopt;
    auto digits = parse_uint(z.substr(1));
    if (!digits) return std::nullopt;
    int hours = static_cast<int>(*digits / 100), minutes = static_cast<int>(*digits % 100);
    if (hours > 23 || minutes > 59) return std::nullopt;
    return (z[0] == '-' ? -1 : 1) * (hours * 60 + minutes);
}

std::optional<std::string> date_part(int64_t utc_seconds, int zone_minutes, std::string_view name) {
    Civil c = civil(utc_seconds + int64_t{zone_minutes} * 60);
    std::string part = to_lower(name);
    if (part == "year") return fmt::format("{:04}", c.year);
    if (part == "month") return fmt::format("{:02}", c.month);
    if (part == "day") return fmt::format("{:02}", c.day);
    if (part == "date") return fmt::format("{:04}-{:02}-{:02}", c.year, c.month, c.day);
    if (part == "julian") return std::to_string(c.days + 40587);  // Modified Julian Day: 1858-11-17 is day 0
    if (part == "hour") return fmt::format("{:02}", c.hour);
    if (part == "minute") return fmt::format("{:02}", c.minute);
    if (part == "second") return fmt::format("{:02}", c.second);
    if (part == "time") return fmt::format("{:02}:{:02}:{:02}", c.hour, c.minute, c.second);
    if (part == "iso8601")
        return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{}", c.year, c.month, c.day, c.hour, c.minute, c.second,
                           zone_text(zone_minutes, true));
    if (part == "std11")
        return fmt::format("{}, {:02} {} {:04} {:02}:{:02}:{:02} {}", day_names[c.weekday], c.day,
                           month_names[c.month - 1], c.year, c.hour, c.minute, c.second,
                           zone_text(zone_minutes, false));
    if (part == "zone") return zone_text(zone_minutes, false);
    if (part == "weekday") return std::to_string(c.weekday);
    return std::nullopt;
}

}  // namespace pochta::sieve
