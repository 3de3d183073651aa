// Retry schedule, expiry and per-destination slots.
#include <catch2/catch.hpp>

#include "outbound/retry.hpp"

using namespace pochta::outbound;
using namespace std::chrono_literals;
using std::chrono::seconds;

TEST_CASE("the default schedule grows and then repeats every two hours", "[outbound][retry]") {
    RetrySchedule s;
    CHECK(s.delay_after(0) == 5min);   // treated as the first failure
    CHECK(s.delay_after(1) == 5min);
    CHECK(s.delay_after(2) == 10min);
    CHECK(s.delay_after(3) == 20min);
    CHECK(s.delay_after(4) == 40min);
    CHECK(s.delay_after(5) == 80min);
    CHECK(s.delay_after(6) == 2h);
    CHECK(s.delay_after(7) == 2h);
    CHECK(s.delay_after(100000) == 2h);
}

TEST_CASE("a configured schedule is used as given, last step repeating", "[outbound][retry]") {
    RetrySchedule s({seconds(30), seconds(0), 1h});
    CHECK(s.delay_after(1) == 30s);
    CHECK(s.delay_after(2) == 1s);   // zero would spin
    CHECK(s.delay_after(3) == 1h);
    CHECK(s.delay_after(9) == 1h);
    CHECK(RetrySchedule(std::vector<seconds>{}).delay_after(1) == 5min);
}

TEST_CASE("the next attempt never lies beyond the expiry", "[outbound][retry]") {
    RetrySchedule s;
    Clock::time_point created{seconds(1'000'000)};
    auto max = seconds(3600);
    // Early: the schedule decides.
    CHECK(s.next_attempt(created + 60s, 1, created, max) == created + 60s + 5min);
    // Late: clamped to the expiry, so there is one last try at the end.
    CHECK(s.next_attempt(created + 3500s, 6, created, max) == created + max);
    // Already past: the caller bounces; the plain schedule is returned.
    CHECK(s.next_attempt(created + 4000s, 6, created, max) == created + 4000s + 2h);
}

TEST_CASE("expiry is measured from creation", "[outbound][retry]") {
    Clock::time_point created{seconds(5000)};
    CHECK_FALSE(expired(created, created, 5s));
    CHECK_FALSE(expired(created, created + 4s, 5s));
    CHECK(expired(created, created + 5s, 5s));
    CHECK(expired(created, created + 5 * 24h, 5 * 24h));
    CHECK_FALSE(expired(created, created + 5 * 24h - 1s, 5 * 24h));
}

TEST_CASE("schedules parse from the configuration syntax", "[outbound][retry]") {
    auto s = parse_retry_schedule("1m, 5m,1h30m");
    REQUIRE(s);
    CHECK(s->steps() == std::vector<seconds>{60s, 300s, 5400s});
    CHECK_FALSE(parse_retry_schedule(""));
    CHECK_FALSE(parse_retry_schedule("5m,,10m"));
    CHECK_FALSE(parse_retry_schedule("5 minutes"));
    CHECK_FALSE(parse_retry_schedule("0s"));
    CHECK_FALSE(parse_retry_schedule("-5m"));
}

TEST_CASE("destination slots bound one domain without blocking others", "[outbound][retry]") {
    DestinationSlots slots(2, 3);
    CHECK(slots.try_acquire("slow.example"));
    CHECK(slots.try_acquire("SLOW.example"));
    CHECK_FALSE(slots.try_acquire("slow.example"));   // per destination
    CHECK(slots.in_use("slow.example") == 2);
    CHECK(slots.try_acquire("fast.example"));
    CHECK_FALSE(slots.try_acquire("other.example"));  // in total
    CHECK(slots.in_use() == 3);
    slots.release("slow.example");
    CHECK(slots.try_acquire("other.example"));
    slots.release("nothing.example");                 // unknown: ignored
    slots.release("fast.example");
    slots.release("fast.example");                    // double release does not underflow
    CHECK(slots.in_use("fast.example") == 0);
    CHECK(slots.in_use() == 2);
}
