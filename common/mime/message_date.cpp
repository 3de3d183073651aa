#include "common/mime/message_date.hpp"

#include <algorithm>
#include <array>
#include <string>
#include <vector>

#include "common/util/strings.hpp"

namespace pochta::mime {

namespace {

constexpr size_t kMaxTokens = 16;
constexpr size_t kMaxCommentDepth = 16;

constexpr std::array<std::string_view, 12> kMonths{"jan", "feb", "mar", "apr", "may", "jun",
                                                   "jul", "aug", "sep", "oct", "nov", "dec"};

struct NamedZone {
    std::string_view name;
    int minutes;
};
// RFC 5322 4.3 obs-zone; military letters mean "unknown" there, so they count as 0.
constexpr std::array<NamedZone, 12> kZones{{{"ut", 0},
                                           {"utc", 0},
                                           {"gmt", 0},
                                           {"z", 0},
                                           {"est", -5 * 60},
                                           {"edt", -4 * 60},
                                           {"cst", -6 * 60},
                                           {"cdt", -5 * 60},
                                           {"mst", -7 * 60},
                                           {"mdt", -6 * 60},
                                           {"pst", -8 * 60},
                                           {"pdt", -7 * 60}}};

bool all_digits(std::string_view s) {
    if (s.empty()) return false;
    for (char c : s)
        if (c < '0' || c > '9') return false;
    return true;
}

bool all_letters(std::string_view s) {
    if (s.empty()) return false;
    for (char c : s)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) return false;
    return true;
}

int number(std::string_view s) {
    int n = 0;
    for (char c : s) n = n * 10 + (c - '0');
    return n;
}

bool leap(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

int days_in_month(int year, int month) {
    static constexpr int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return month == 2 && leap(year) ? 29 : days[month - 1];
}

// The text with comments removed and split at whitespace and commas; at most
// kMaxTokens tokens, so a huge header costs nothing.
std::vector<std::string> tokenize(std::string_view text) {
    std::vector<std::string> tokens;
    std::string current;
    size_t depth = 0;
    auto flush = [&] {
        if (!current.empty() && tokens.size() < kMaxTokens) tokens.push_back(current);
        current.clear();
    };
    for (size_t i = 0; i < text.size() && tokens.size() < kMaxTokens; ++i) {
        char c = text[i];
        if (depth > 0) {
            if (c == '\\') ++i;
            else if (c == '(') depth = std::min(depth + 1, kMaxCommentDepth);
            else if (c == ')') --depth;
            continue;
        }
        if (c == '(') {
            flush();
            depth = 1;
        } else if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ',') {
            flush();
        } else {
            current += c;
        }
    }
    flush();
    return tokens;
}

std::optional<int> month_of(std::string_view token) {
    if (token.size() < 3 || !all_letters(token)) return std::nullopt;
    std::string prefix = to_lower(token.substr(0, 3));
    for (size_t i = 0; i < kMonths.size(); ++i)
        if (prefix == kMonths[i]) return static_cast<int>(i) + 1;
    return std::nullopt;
}

std::optional<int> year_of(std::string_view token) {
    if (!all_digits(token) || token.size() < 2 || token.size() > 4) return std::nullopt;
    int year = number(token);
    if (token.size() == 2) year += year < 50 ? 2000 : 1900;  // RFC 5322 4.3
    else if (token.size() == 3) year += 1900;
    if (year < 1) return std::nullopt;
    return year;
}

// "hh:mm" or "hh:mm:ss"
bool read_time(std::string_view token, MessageDate& date) {
    std::vector<std::string_view> parts = split(token, ':');
    if (parts.size() < 2 || parts.size() > 3) return false;
    for (std::string_view p : parts)
        if (!all_digits(p) || p.size() > 2) return false;
    date.hour = number(parts[0]);
    date.minute = number(parts[1]);
    date.second = parts.size() == 3 ? number(parts[2]) : 0;
    return date.hour < 24 && date.minute < 60 && date.second <= 60;
}

int zone_of(std::string_view token) {
    if (token.size() == 5 && (token[0] == '+' || token[0] == '-') && all_digits(token.substr(1))) {
        int hours = number(token.substr(1, 2));
        int minutes = number(token.substr(3, 2));
        if (minutes >= 60) return 0;
        int offset = hours * 60 + minutes;
        return token[0] == '-' ? -offset : offset;
    }
    std::string name = to_lower(token);
    for (const NamedZone& z : kZones)
        if (name == z.name) return z.minutes;
    return 0;
}

}  // namespace

int64_t days_from_civil(int year, int month, int day) {
    // Howard Hinnant's days_from_civil: exact for every proleptic Gregorian date.
    int64_t y = static_cast<int64_t>(year) - (month <= 2 ? 1 : 0);
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t mp = (month + 9) % 12;
    int64_t doy = (153 * mp + 2) / 5 + day - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int64_t MessageDate::utc_seconds() const {
    int64_t local = days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second;
    return local - static_cast<int64_t>(zone_minutes) * 60;
}

int64_t sent_time(const std::optional<std::string>& date_field, int64_t internal_date) {
    if (!date_field) return internal_date;
    std::optional<MessageDate> date = parse_message_date(*date_field);
    return date ? date->utc_seconds() : internal_date;
}

std::optional<MessageDate> parse_message_date(std::string_view text) {
    std::vector<std::string> tokens = tokenize(text);
    size_t i = 0;
    if (i < tokens.size() && all_letters(tokens[i]) && !month_of(tokens[i])) ++i;  // day name
    if (i + 3 > tokens.size()) return std::nullopt;
    MessageDate date;
    if (!all_digits(tokens[i]) || tokens[i].size() > 2) return std::nullopt;
    date.day = number(tokens[i++]);
    std::optional<int> month = month_of(tokens[i++]);
    std::optional<int> year = year_of(tokens[i++]);
    if (!month || !year || *year > 9999) return std::nullopt;
    date.month = *month;
    date.year = *year;
    if (date.day < 1 || date.day > days_in_month(date.year, date.month)) return std::nullopt;
    if (i < tokens.size() && tokens[i].find(':') != std::string::npos) {
        if (!read_time(tokens[i++], date)) return std::nullopt;
        if (i < tokens.size()) date.zone_minutes = zone_of(tokens[i]);
    }
    return date;
}

}  // namespace pochta::mime
