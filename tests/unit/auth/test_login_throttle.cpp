#include <catch2/catch.hpp>

#include "common/auth/login_throttle.hpp"

using pochta::auth::LoginThrottle;
using namespace std::chrono_literals;

TEST_CASE("failed logins slow down per IP and are forgotten", "[auth][throttle]") {
    LoginThrottle throttle;
    auto t0 = LoginThrottle::Clock::now();
    CHECK(throttle.record_failure("192.0.2.1", t0) == 1s);
    CHECK(throttle.record_failure("192.0.2.1", t0) == 4s);
    CHECK(throttle.record_failure("192.0.2.1", t0) == 9s);
    CHECK(throttle.record_failure("192.0.2.1", t0) == 15s);
    CHECK(throttle.record_failure("192.0.2.1", t0) == 15s);
    CHECK(throttle.failures("192.0.2.2", t0) == 0);
    CHECK(throttle.record_failure("192.0.2.2", t0) == 1s);
    CHECK(throttle.failures("192.0.2.1", t0 + 16min) == 0);
    CHECK(throttle.record_failure("192.0.2.1", t0 + 16min) == 1s);
    throttle.record_success("192.0.2.2");
    CHECK(throttle.failures("192.0.2.2", t0) == 0);
}
