#include <catch2/catch.hpp>

#include <optional>

#include "common/util/liveness.hpp"

using pochta::util::Liveness;

TEST_CASE("a watch is alive while its owner exists") {
    std::optional<Liveness> owner(std::in_place);
    auto watch = owner->watch();
    CHECK(watch.alive());
    owner.reset();
    CHECK_FALSE(watch.alive());
}

TEST_CASE("end() retires earlier watches, not later ones") {
    Liveness owner;
    auto before = owner.watch();
    owner.end();
    CHECK_FALSE(before.alive());
    CHECK(owner.watch().alive());
}

TEST_CASE("a copied owner does not share watches with the original") {
    std::optional<Liveness> original(std::in_place);
    Liveness copy = *original;
    auto watch = copy.watch();
    original.reset();
    CHECK(watch.alive());
    CHECK_FALSE(Liveness::Watch{}.alive());
}
