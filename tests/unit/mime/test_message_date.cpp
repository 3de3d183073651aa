// The Date: field parser behind SENTBEFORE/SENTON/SENTSINCE and SORT DATE.
#include <catch2/catch.hpp>

#include "common/mime/message_date.hpp"

using namespace pochta::mime;

TEST_CASE("message date: RFC 5322 forms") {
    std::optional<MessageDate> d = parse_message_date("Tue, 1 Jul 2003 10:52:37 +0200");
    REQUIRE(d);
    CHECK(d->year == 2003);
    CHECK(d->month == 7);
    CHECK(d->day == 1);
    CHECK(d->hour == 10);
    CHECK(d->minute == 52);
    CHECK(d->second == 37);
    CHECK(d->zone_minutes == 120);
    CHECK(d->utc_seconds() == 1057049557);

    d = parse_message_date("1 Jul 2003 10:52 -0330 (NST)");
    REQUIRE(d);
    CHECK(d->second == 0);
    CHECK(d->zone_minutes == -210);

    d = parse_message_date("  Thursday,  05 JAN 23 23:30:00 EST");  // obsolete year and zone
    REQUIRE(d);
    CHECK(d->year == 2023);
    CHECK(d->month == 1);
    CHECK(d->day == 5);
    CHECK(d->zone_minutes == -300);

    d = parse_message_date("5 Jan 99");
    REQUIRE(d);
    CHECK(d->year == 1999);
    CHECK(d->hour == 0);

    d = parse_message_date("29 Feb 2024 00:00:00 +0000");
    REQUIRE(d);
    CHECK(d->utc_seconds() == days_from_civil(2024, 2, 29) * 86400);
    CHECK(parse_message_date("5 January 2023 (comment (nested)) 10:00:00 GMT"));
    CHECK(parse_message_date("Mon, 2 Jan 2023 10:00:00 +0000 (UTC)")->zone_minutes == 0);
}

TEST_CASE("message date: refusals") {
    for (const char* bad : {"", "yesterday", "Mon, 2 Foo 2023", "32 Jan 2023", "29 Feb 2023", "2 Jan",
                            "Jan 2 2023", "2 Jan 2023 25:00:00", "2 Jan 2023 10:61", "2 Jan 12345",
                            "(2 Jan 2023)", "2 Jan 2023 1:2:3:4"}) {
        INFO(bad);
        CHECK_FALSE(parse_message_date(bad));
    }
}

TEST_CASE("message date: sent_time falls back to the internal date") {
    CHECK(sent_time(std::string("1 Jan 1970 01:00:00 +0100"), 77) == 0);
    CHECK(sent_time(std::string("not a date"), 77) == 77);
    CHECK(sent_time(std::nullopt, 77) == 77);
}

TEST_CASE("message date: days_from_civil") {
    CHECK(days_from_civil(1970, 1, 1) == 0);
    CHECK(days_from_civil(1969, 12, 31) == -1);
    CHECK(days_from_civil(2000, 3, 1) == 11017);
    CHECK(days_from_civil(2023, 1, 2) == 19359);
}
