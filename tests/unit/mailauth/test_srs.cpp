// SRS addresses (mailauth/srs.hpp). The expected addresses were computed
// with Mail::SRS 0.31 (Debian's libmail-srs-perl), an independent
// implementation, for the same secret and day.
#include <catch2/catch.hpp>

#include "mailauth/srs.hpp"

using namespace pochta::mailauth;

namespace {

const std::string secret = "pochta-test-secret-1";
const std::vector<std::string> secrets = {secret};
constexpr int64_t day_998 = 1767225600;  // 2026-01-01: day 20454, 998 mod 1024 = "7G"
constexpr int64_t one_day = 86400;

std::string local_of(const std::string& address) { return address.substr(0, address.rfind('@')); }

}  // namespace

TEST_CASE("srs_forward makes the addresses Mail::SRS makes", "[srs]") {
    CHECK(srs_forward("sender@remote.example", "example.test", secret, day_998) ==
          "SRS0=pIGr=7G=remote.example=sender@example.test");
    CHECK(srs_forward("Mixed.Case@Remote.Example", "example.test", secret, day_998) ==
          "SRS0=SAht=7G=Remote.Example=Mixed.Case@example.test");
    CHECK(srs_forward("a=b@remote.example", "example.test", secret, day_998) ==
          "SRS0=5gW+=7G=remote.example=a=b@example.test");
}

TEST_CASE("srs_forward wraps another forwarder's SRS0 and SRS1 as SRS1", "[srs]") {
    CHECK(srs_forward("SRS0=abcd=AB=orig.example=bob@hop1.example", "example.test", secret, day_998) ==
          "SRS1=tKBH=hop1.example==abcd=AB=orig.example=bob@example.test");
    CHECK(srs_forward("SRS1=wxyz=hop1.example==abcd=AB=orig.example=bob@hop2.example", "example.test", secret,
                      day_998) == "SRS1=tKBH=hop1.example==abcd=AB=orig.example=bob@example.test");
}

TEST_CASE("srs_forward refuses what it cannot rewrite", "[srs]") {
    CHECK(srs_forward("", "example.test", secret, day_998).empty());
    CHECK(srs_forward("no-at-sign", "example.test", secret, day_998).empty());
    CHECK(srs_forward("@remote.example", "example.test", secret, day_998).empty());
    CHECK(srs_forward("user@", "example.test", secret, day_998).empty());
    // The local part would pass 64 octets.
    CHECK(srs_forward(std::string(50, 'x') + "@remote.example", "example.test", secret, day_998).empty());
    CHECK(srs_forward(std::string(300, 'x') + "@remote.example", "example.test", secret, day_998).empty());
}

TEST_CASE("srs_reverse gives back the original sender", "[srs]") {
    auto r = srs_reverse("SRS0=pIGr=7G=remote.example=sender", secrets, day_998, 21);
    CHECK(r.error == SrsError::none);
    CHECK(r.address == "sender@remote.example");
    // Hash and timestamp compared case-insensitively (case smashed on the way).
    r = srs_reverse("srs0=PIGR=7g=remote.example=sender", secrets, day_998, 21);
    CHECK(r.error == SrsError::none);
    CHECK(r.address == "sender@remote.example");
    r = srs_reverse("SRS0=5gW+=7G=remote.example=a=b", secrets, day_998, 21);
    CHECK(r.address == "a=b@remote.example");
}

TEST_CASE("srs_reverse of SRS1 gives the first forwarder's SRS0 address", "[srs]") {
    auto r = srs_reverse("SRS1=tKBH=hop1.example==abcd=AB=orig.example=bob", secrets, day_998, 21);
    CHECK(r.error == SrsError::none);
    CHECK(r.address == "SRS0=abcd=AB=orig.example=bob@hop1.example");
}

TEST_CASE("srs_reverse round-trips srs_forward", "[srs]") {
    for (const char* sender : {"x@y.example", "first.last+tag@sub.remote.example", "a=b=c@d.example"}) {
        auto made = srs_forward(sender, "fwd.example", secret, day_998);
        REQUIRE(!made.empty());
        auto back = srs_reverse(local_of(made), secrets, day_998 + 3 * one_day, 21);
        CHECK(back.error == SrsError::none);
        CHECK(back.address == sender);
    }
}

TEST_CASE("srs_reverse refuses forged hashes", "[srs]") {
    CHECK(srs_reverse("SRS0=AAAA=7G=remote.example=sender", secrets, day_998, 21).error == SrsError::bad_hash);
    // The hash covers the address: another user with a valid-looking hash fails.
    CHECK(srs_reverse("SRS0=pIGr=7G=remote.example=victim", secrets, day_998, 21).error == SrsError::bad_hash);
    CHECK(srs_reverse("SRS0=pIGr=7G=remote.example=sender", {"another-secret-xyz"}, day_998, 21).error ==
          SrsError::bad_hash);
    CHECK(srs_reverse("SRS1=AAAA=hop1.example==abcd=AB=orig.example=bob", secrets, day_998, 21).error ==
          SrsError::bad_hash);
}

TEST_CASE("srs_reverse accepts every listed secret", "[srs]") {
    std::vector<std::string> rotated = {"the-new-secret-0001", secret};
    CHECK(srs_reverse("SRS0=pIGr=7G=remote.example=sender", rotated, day_998, 21).error == SrsError::none);
}

TEST_CASE("srs_reverse honours the maximum age", "[srs]") {
    const char* local = "SRS0=pIGr=7G=remote.example=sender";
    CHECK(srs_reverse(local, secrets, day_998 + 21 * one_day, 21).error == SrsError::none);
    CHECK(srs_reverse(local, secrets, day_998 + 22 * one_day, 21).error == SrsError::expired);
    CHECK(srs_reverse(local, secrets, day_998 + 22 * one_day, 30).error == SrsError::none);
    // Wraps past 1023 like any other day.
    CHECK(srs_reverse(local, secrets, day_998 + 30 * one_day, 31).error == SrsError::none);
    // A stamp "from tomorrow" wrapped around: about 1024 days old.
    CHECK(srs_reverse(local, secrets, day_998 - one_day, 21).error == SrsError::expired);
}

TEST_CASE("srs_reverse refuses malformed addresses", "[srs]") {
    CHECK(srs_reverse("alice", secrets, day_998, 21).error == SrsError::not_srs);
    CHECK(srs_reverse("SRS2=abcd", secrets, day_998, 21).error == SrsError::not_srs);
    CHECK(srs_reverse("SRS0", secrets, day_998, 21).error == SrsError::not_srs);
    for (const char* bad : {"SRS0=", "SRS0=pIGr", "SRS0=pIGr=7G", "SRS0=pIGr=7G=remote.example",
                            "SRS0=pIGr=7G=remote.example=", "SRS0=pIGr==remote.example=sender",
                            "SRS0=pIG=7G=remote.example=sender", "SRS0=pIGrr=7G=remote.example=sender",
                            "SRS0=pIGr=7!=remote.example=sender", "SRS0=pIGr=7GG=remote.example=sender",
                            "SRS0=pIGr=7G==sender", "SRS1=", "SRS1=tKBH", "SRS1=tKBH=hop1.example",
                            "SRS1=tKBH=hop1.example=", "SRS1=tKBH==x=y", "SRS1=tKBH=hop1.example=abcd"}) {
        INFO(bad);
        CHECK(srs_reverse(bad, secrets, day_998, 21).error == SrsError::malformed);
    }
    CHECK(srs_reverse("SRS0=" + std::string(300, 'a'), secrets, day_998, 21).error == SrsError::malformed);
}

TEST_CASE("is_srs_local_part", "[srs]") {
    CHECK(is_srs_local_part("SRS0=x"));
    CHECK(is_srs_local_part("srs1+x"));
    CHECK(is_srs_local_part("SRS0-x"));
    CHECK_FALSE(is_srs_local_part("SRS0"));
    CHECK_FALSE(is_srs_local_part("SRS0x"));
    CHECK_FALSE(is_srs_local_part("srsx=y"));
    CHECK_FALSE(is_srs_local_part("alice"));
}
