// Outgoing limits per user over a sliding hour (README.md, "Spam").
#include <catch2/catch.hpp>

#include "smtp/outbound_limits.hpp"

using pochta::smtp::OutboundLimits;
using V = OutboundLimits::Verdict;

TEST_CASE("messages and recipients per hour, per user, over a sliding hour", "[smtp][limits]") {
    OutboundLimits limits(3, 10);
    auto t0 = OutboundLimits::Clock::time_point{} + std::chrono::hours(100);
    CHECK(limits.admit("alice", 4, t0) == V::allowed);
    CHECK(limits.admit("alice", 4, t0 + std::chrono::minutes(10)) == V::allowed);
    CHECK(limits.admit("alice", 3, t0 + std::chrono::minutes(20)) == V::too_many_recipients);
    CHECK(limits.admit("alice", 2, t0 + std::chrono::minutes(20)) == V::allowed);
    CHECK(limits.admit("alice", 1, t0 + std::chrono::minutes(30)) == V::too_many_messages);
    CHECK(limits.admit("bob", 10, t0 + std::chrono::minutes(30)) == V::allowed);   // another user's own count
    // An hour after the first message, it no longer counts.
    CHECK(limits.admit("alice", 1, t0 + std::chrono::minutes(60)) == V::allowed);
    CHECK(limits.admit("alice", 1, t0 + std::chrono::minutes(61)) == V::too_many_messages);
    CHECK(limits.admit("alice", 1, t0 + std::chrono::hours(3)) == V::allowed);
}
