// Failures per address and per account, delays before any answer, bans,
// and what a success clears (README.md, "Logins under attack").
#include <catch2/catch.hpp>

#include "common/auth/login_throttle.hpp"

using pochta::auth::LoginThrottle;
using pochta::auth::ThrottleSettings;
using namespace std::chrono_literals;

TEST_CASE("a success clears only that account's counters", "[auth][throttle]") {
    LoginThrottle throttle;
    auto t0 = LoginThrottle::Clock::now();
    // The attacker guesses at the victim's account, then logs in to his own.
    throttle.record_failure("192.0.2.1", "victim@example.org", t0);
    throttle.record_failure("192.0.2.1", "victim@example.org", t0);
    throttle.record_failure("192.0.2.1", "mallory@example.org", t0);
    throttle.record_success("192.0.2.1", "mallory@example.org");
    CHECK(throttle.failures("192.0.2.1", t0) == 2);
    CHECK(throttle.delay("192.0.2.1", "anyone@example.org", t0) == 4s);
    // The victim's own success clears the victim's counts.
    throttle.record_success("192.0.2.1", "Victim@Example.org");
    CHECK(throttle.failures("192.0.2.1", t0) == 0);
    CHECK(throttle.delay("192.0.2.1", "victim@example.org", t0) == 0s);
}

TEST_CASE("an account's failures from many addresses delay it, never lock it", "[auth][throttle]") {
    LoginThrottle throttle(ThrottleSettings{.max_delay = 15s, .account_delay_after = 5, .ban_after = 20, .ban_time = 15min});
    auto t0 = LoginThrottle::Clock::now();
    for (int i = 0; i < 5; i++) throttle.record_failure("198.51.100." + std::to_string(i), "alice@example.org", t0);
    CHECK(throttle.delay("203.0.113.9", "alice@example.org", t0) == 0s);  // within the free failures
    for (int i = 5; i < 100; i++) throttle.record_failure("198.51.100." + std::to_string(i), "alice@example.org", t0);
    auto wait = throttle.delay("203.0.113.9", "alice@example.org", t0);
    CHECK(wait == 15s);  // capped: alice can still log in
    CHECK_FALSE(throttle.banned("203.0.113.9", t0));
    CHECK(throttle.delay("203.0.113.9", "bob@example.org", t0) == 0s);
}

TEST_CASE("an address the account logged in from is not slowed by strangers' guesses", "[auth][throttle]") {
    LoginThrottle throttle(ThrottleSettings{.max_delay = 15s, .account_delay_after = 5, .ban_after = 20, .ban_time = 15min});
    auto t0 = LoginThrottle::Clock::now();
    throttle.record_success("203.0.113.9", "alice@example.org");  // alice's own computer
    for (int i = 0; i < 50; i++) throttle.record_failure("198.51.100." + std::to_string(i), "alice@example.org", t0);
    CHECK(throttle.delay("203.0.113.9", "Alice@example.org", t0) == 0s);
    // Anywhere else the account's count applies, and the known address's
    // own failures still slow it down.
    CHECK(throttle.delay("203.0.113.10", "alice@example.org", t0) == 15s);
    throttle.record_failure("203.0.113.9", "alice@example.org", t0);
    CHECK(throttle.delay("203.0.113.9", "alice@example.org", t0) == 1s);
    // Known for 30 days, not forever: a month later the guesses count again.
    auto later = t0 + std::chrono::hours(24 * 31);
    for (int i = 0; i < 50; i++) throttle.record_failure("198.51.100." + std::to_string(i), "alice@example.org", later);
    CHECK(throttle.delay("203.0.113.9", "alice@example.org", later) == 15s);
}

TEST_CASE("an address is banned after ban_after failures, for ban_time", "[auth][throttle]") {
    LoginThrottle throttle(ThrottleSettings{.max_delay = 15s, .account_delay_after = 5, .ban_after = 3, .ban_time = 10min});
    auto t0 = LoginThrottle::Clock::now();
    CHECK_FALSE(throttle.record_failure("192.0.2.5", "a", t0).ban_started);
    CHECK_FALSE(throttle.record_failure("192.0.2.5", "b", t0).ban_started);
    CHECK(throttle.record_failure("192.0.2.5", "c", t0).ban_started);
    CHECK(throttle.banned("192.0.2.5", t0 + 9min));
    CHECK_FALSE(throttle.banned("192.0.2.5", t0 + 11min));
    CHECK_FALSE(throttle.banned("192.0.2.6", t0));
}
