// The Date: header field (RFC 5322 3.3, with the obsolete forms of 4.3) as
// IMAP SEARCH SENTBEFORE/SENTON/SENTSINCE, SORT/THREAD and the Sieve date
// test need it, and calendar arithmetic for comparing days.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pochta::mime {

struct MessageDate {
    int year = 0;    // four digits; obsolete two-digit years are widened (RFC 5322 4.3)
    int month = 0;   // 1..12
    int day = 0;     // 1..31, valid for the month
    int hour = 0;    // time fields are 0 when the header has no time
    int minute = 0;
    int second = 0;  // 0..60
    int zone_minutes = 0;  // offset east of UTC; 0 for "-0000", unknown and military zones

    // The instant, in seconds since the epoch (the date-time minus the zone).
    int64_t utc_seconds() const;
};

// Tolerant: comments, a missing day name, missing seconds, a missing or
// named zone ("GMT", "EST") and two- or three-digit years are accepted.
// nullopt when no day, month and year can be read or a value is out of range.
std::optional<MessageDate> parse_message_date(std::string_view text);

// The sent date of RFC 5256 section 2.2 as an instant: the Date: field's
// value when it parses, else `internal_date`.
int64_t sent_time(const std::optional<std::string>& date_field, int64_t internal_date);

// Days since 1970-01-01 of a proleptic Gregorian date (negative before).
int64_t days_from_civil(int year, int month, int day);

}  // namespace pochta::mime
