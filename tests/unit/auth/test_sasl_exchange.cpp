// SaslExchange: the PLAIN and LOGIN exchanges step by step, and every way
// they can end.
#include <catch2/catch.hpp>

#include "common/auth/sasl.hpp"
#include "common/util/strings.hpp"

using pochta::base64_encode;
using pochta::auth::Credentials;
using pochta::auth::sasl_max_decoded;
using pochta::auth::SaslChallenge;
using pochta::auth::SaslExchange;
using pochta::auth::SaslFailure;
using pochta::auth::SaslStep;

namespace {

using namespace std::string_literals;

std::string b64(std::string_view raw) {
    return base64_encode(raw);
}

// The challenge text; fails the test on any other outcome.
std::string challenge(const SaslStep& step) {
    REQUIRE(std::holds_alternative<SaslChallenge>(step));
    return std::get<SaslChallenge>(step).base64;
}

SaslFailure failure(const SaslStep& step) {
    REQUIRE(std::holds_alternative<SaslFailure>(step));
    return std::get<SaslFailure>(step);
}

Credentials credentials(const SaslStep& step) {
    REQUIRE(std::holds_alternative<Credentials>(step));
    return std::get<Credentials>(step);
}

const std::string username_prompt = b64("Username:");
const std::string password_prompt = b64("Password:");

// A LOGIN exchange that has been given its username.
SaslExchange login_at_password(std::string_view username) {
    SaslExchange sasl("LOGIN");
    CHECK(challenge(sasl.step(b64(username))) == password_prompt);
    return sasl;
}

}  // namespace

TEST_CASE("SaslExchange: mechanisms and their first prompt", "[auth][sasl]") {
    for (const char* name : {"PLAIN", "plain", "Plain"}) {
        SaslExchange sasl(name);
        CHECK(challenge(sasl.begin()).empty());  // PLAIN's prompt is empty: "334 " / "+ "
    }
    for (const char* name : {"LOGIN", "login", "LoGiN"}) {
        SaslExchange sasl(name);
        CHECK(challenge(sasl.begin()) == "VXNlcm5hbWU6");
        CHECK(challenge(sasl.begin()) == username_prompt);
    }
    for (const char* name : {"CRAM-MD5", "SCRAM-SHA-256", "", "PLAINX", "PLAI", "LOGIN ", "XOAUTH2"}) {
        SaslExchange sasl(name);
        CHECK(failure(sasl.begin()) == SaslFailure::unknown_mechanism);
        // A response to an exchange that never started says the same.
        CHECK(failure(sasl.step(b64("\0alice\0secret"s))) == SaslFailure::unknown_mechanism);
    }
}

TEST_CASE("SaslExchange: PLAIN succeeds", "[auth][sasl]") {
    SaslExchange sasl("PLAIN");
    auto c = credentials(sasl.step(b64("\0alice@example.org\0secret"s)));
    CHECK(c.authzid.empty());
    CHECK(c.username == "alice@example.org");
    CHECK(c.password == "secret");
    CHECK(failure(sasl.begin()) == SaslFailure::out_of_turn);

    // An authzid naming the same user, in any case, is not acting for another.
    SaslExchange same("PLAIN");
    c = credentials(same.step(b64("Alice@Example.org\0alice@example.org\0secret"s)));
    CHECK(c.authzid == "Alice@Example.org");
    CHECK(c.username == "alice@example.org");

    // RFC 4616's own example.
    SaslExchange rfc("PLAIN");
    c = credentials(rfc.step("AHRpbQB0YW5zdGFhZnRhbmJvb20="));
    CHECK(c.username == "tim");
    CHECK(c.password == "tanstaaftanboom");
}

TEST_CASE("SaslExchange: PLAIN refusals", "[auth][sasl]") {
    auto outcome = [](std::string_view response) {
        SaslExchange sasl("PLAIN");
        auto step = sasl.step(response);
        CHECK(failure(sasl.begin()) == SaslFailure::out_of_turn);
        return failure(step);
    };
    // RFC 4616 section 2: acting as another identity is not offered.
    CHECK(outcome(b64("bob@example.org\0alice@example.org\0secret"s)) == SaslFailure::authzid_mismatch);
    CHECK(outcome(b64("alice@example.org.\0alice@example.org\0secret"s)) == SaslFailure::authzid_mismatch);
    CHECK(outcome("*") == SaslFailure::cancelled);
    // Not base64, or not the three fields: one answer, the PLAIN message is bad.
    CHECK(outcome("%%%not-base64%%%") == SaslFailure::bad_plain);
    CHECK(outcome("AHRpbQB0YW5zdGFhZnRhbmJvb20") == SaslFailure::bad_plain);  // length not a multiple of 4
    CHECK(outcome("AHRpbQB0 W5zdGFhZnRhbmJvb20=") == SaslFailure::bad_plain);
    CHECK(outcome("=") == SaslFailure::bad_plain);  // the empty response
    CHECK(outcome("") == SaslFailure::bad_plain);
    CHECK(outcome("**") == SaslFailure::bad_plain);  // only a lone "*" cancels
    CHECK(outcome(b64("alice secret")) == SaslFailure::bad_plain);
    CHECK(outcome(b64("\0alice secret"s)) == SaslFailure::bad_plain);
    CHECK(outcome(b64("\0\0secret"s)) == SaslFailure::bad_plain);
    CHECK(outcome(b64("\0alice\0"s)) == SaslFailure::bad_plain);
    CHECK(outcome(b64("\0alice\0sec\0ret"s)) == SaslFailure::bad_plain);
}

TEST_CASE("SaslExchange: PLAIN size bound", "[auth][sasl]") {
    std::string at_limit = "\0alice\0"s + std::string(sasl_max_decoded - 7, 'p');
    REQUIRE(at_limit.size() == sasl_max_decoded);
    SaslExchange fits("PLAIN");
    CHECK(credentials(fits.step(b64(at_limit))).password.size() == sasl_max_decoded - 7);

    SaslExchange over("PLAIN");
    CHECK(failure(over.step(b64(at_limit + "p"))) == SaslFailure::too_long);
    // Refused on its length alone, valid base64 or not.
    SaslExchange huge("PLAIN");
    CHECK(failure(huge.step(std::string(100000, 'A'))) == SaslFailure::too_long);
    SaslExchange huge_garbage("PLAIN");
    CHECK(failure(huge_garbage.step(std::string(100000, '%'))) == SaslFailure::too_long);
}

TEST_CASE("SaslExchange: LOGIN succeeds", "[auth][sasl]") {
    SaslExchange sasl("LOGIN");
    CHECK(challenge(sasl.step(b64("alice@example.org"))) == password_prompt);
    // Waiting for the password, the prompt to repeat is the password's.
    CHECK(challenge(sasl.begin()) == password_prompt);
    auto c = credentials(sasl.step(b64("pass word:\xC3\xBC")));
    CHECK(c.authzid.empty());
    CHECK(c.username == "alice@example.org");
    CHECK(c.password == "pass word:\xC3\xBC");
    CHECK(failure(sasl.begin()) == SaslFailure::out_of_turn);
}

TEST_CASE("SaslExchange: LOGIN empty responses", "[auth][sasl]") {
    // "=" and an empty line are both the empty response; the password check
    // refuses empty names, the exchange does not guess.
    SaslExchange sasl("LOGIN");
    CHECK(challenge(sasl.step("=")) == password_prompt);
    auto c = credentials(sasl.step(""));
    CHECK(c.username.empty());
    CHECK(c.password.empty());

    SaslExchange other("LOGIN");
    CHECK(challenge(other.step("")) == password_prompt);
    CHECK(credentials(other.step("=")).password.empty());
}

TEST_CASE("SaslExchange: LOGIN refusals at either prompt", "[auth][sasl]") {
    SECTION("cancelled") {
        SaslExchange at_username("LOGIN");
        CHECK(failure(at_username.step("*")) == SaslFailure::cancelled);
        CHECK(failure(at_username.begin()) == SaslFailure::out_of_turn);
        auto at_password = login_at_password("alice");
        CHECK(failure(at_password.step("*")) == SaslFailure::cancelled);
        CHECK(failure(at_password.begin()) == SaslFailure::out_of_turn);
    }
    SECTION("not base64") {
        for (const char* bad : {"%%%", "YWxpY2U", "YW xpY2U=", "=YWxpY2U", "YQ==YQ==", "***"}) {
            SaslExchange at_username("LOGIN");
            CHECK(failure(at_username.step(bad)) == SaslFailure::malformed_base64);
            CHECK(failure(at_username.begin()) == SaslFailure::out_of_turn);
            auto at_password = login_at_password("alice");
            CHECK(failure(at_password.step(bad)) == SaslFailure::malformed_base64);
            CHECK(failure(at_password.begin()) == SaslFailure::out_of_turn);
        }
    }
    SECTION("too long") {
        std::string at_limit(sasl_max_decoded, 'x');
        SaslExchange fits("LOGIN");
        CHECK(challenge(fits.step(b64(at_limit))) == password_prompt);
        CHECK(credentials(fits.step(b64(at_limit))).password == at_limit);

        SaslExchange at_username("LOGIN");
        CHECK(failure(at_username.step(b64(at_limit + "x"))) == SaslFailure::too_long);
        auto at_password = login_at_password("alice");
        CHECK(failure(at_password.step(b64(at_limit + "x"))) == SaslFailure::too_long);
        SaslExchange huge("LOGIN");
        CHECK(failure(huge.step(std::string(20000, 'A'))) == SaslFailure::too_long);
    }
}

TEST_CASE("SaslExchange: nothing after the end", "[auth][sasl]") {
    SaslExchange done("PLAIN");
    credentials(done.step(b64("\0alice\0secret"s)));
    CHECK(failure(done.begin()) == SaslFailure::out_of_turn);
    CHECK(failure(done.step(b64("\0alice\0secret"s))) == SaslFailure::out_of_turn);
    CHECK(failure(done.step("*")) == SaslFailure::out_of_turn);

    SaslExchange failed("LOGIN");
    failure(failed.step("%"));
    CHECK(failure(failed.step(b64("alice"))) == SaslFailure::out_of_turn);
}

TEST_CASE("SaslExchange: an initial response is the first response", "[auth][sasl]") {
    // SASL-IR / RFC 4954 / RFC 5034: the session skips the first prompt and
    // steps with the response that came with the command.
    SaslExchange login("LOGIN");
    REQUIRE(std::holds_alternative<SaslChallenge>(login.begin()));
    CHECK(challenge(login.step(b64("alice"))) == password_prompt);
    CHECK(credentials(login.step(b64("secret"))).username == "alice");

    SaslExchange empty_plain("PLAIN");
    CHECK(failure(empty_plain.step("=")) == SaslFailure::bad_plain);
}

TEST_CASE("SaslExchange: start() with or without an initial response", "[auth][sasl]") {
    // None sent: the mechanism's first prompt.
    SaslExchange plain("PLAIN");
    CHECK(challenge(plain.start("")).empty());
    CHECK(credentials(plain.step(b64("\0alice\0secret"s))).username == "alice");
    SaslExchange login("LOGIN");
    CHECK(challenge(login.start("")) == username_prompt);

    // Sent: taken as the first response.
    SaslExchange plain_ir("PLAIN");
    auto c = credentials(plain_ir.start(b64("\0alice\0secret"s)));
    CHECK(c.username == "alice");
    CHECK(c.password == "secret");
    CHECK(failure(plain_ir.begin()) == SaslFailure::out_of_turn);
    SaslExchange login_ir("LOGIN");
    CHECK(challenge(login_ir.start(b64("bob"))) == password_prompt);
    CHECK(credentials(login_ir.step(b64("pw"))).username == "bob");

    // "=" is a response (the empty one), not the absence of one.
    SaslExchange login_empty("LOGIN");
    CHECK(challenge(login_empty.start("=")) == password_prompt);
    SaslExchange plain_empty("PLAIN");
    CHECK(failure(plain_empty.start("=")) == SaslFailure::bad_plain);
    SaslExchange cancelled("LOGIN");
    CHECK(failure(cancelled.start("*")) == SaslFailure::cancelled);

    // An unknown mechanism is refused either way.
    SaslExchange unknown("CRAM-MD5");
    CHECK(failure(unknown.start("")) == SaslFailure::unknown_mechanism);
    SaslExchange unknown_ir("CRAM-MD5");
    CHECK(failure(unknown_ir.start(b64("\0alice\0secret"s))) == SaslFailure::unknown_mechanism);
}
