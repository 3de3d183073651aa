// SaslExchange: the PLAIN and LOGIN exchanges step by step, every way they
// can end, and resuming from the fields a session keeps between lines.
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
using Stage = SaslExchange::Stage;

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
        CHECK(sasl.stage() == Stage::plain_response);
        CHECK(challenge(sasl.begin()).empty());  // PLAIN's prompt is empty: "334 " / "+ "
    }
    for (const char* name : {"LOGIN", "login", "LoGiN"}) {
        SaslExchange sasl(name);
        CHECK(sasl.stage() == Stage::login_username);
        CHECK(challenge(sasl.begin()) == "VXNlcm5hbWU6");
        CHECK(challenge(sasl.begin()) == username_prompt);
    }
    for (const char* name : {"CRAM-MD5", "SCRAM-SHA-256", "", "PLAINX", "PLAI", "LOGIN ", "XOAUTH2"}) {
        SaslExchange sasl(name);
        CHECK(sasl.stage() == Stage::finished);
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
    CHECK(sasl.stage() == Stage::finished);

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
        CHECK(sasl.stage() == Stage::finished);
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
    CHECK(sasl.stage() == Stage::login_password);
    CHECK(sasl.login_username() == "alice@example.org");
    auto c = credentials(sasl.step(b64("pass word:\xC3\xBC")));
    CHECK(c.authzid.empty());
    CHECK(c.username == "alice@example.org");
    CHECK(c.password == "pass word:\xC3\xBC");
    CHECK(sasl.stage() == Stage::finished);
    CHECK(sasl.login_username().empty());
}

TEST_CASE("SaslExchange: LOGIN empty responses", "[auth][sasl]") {
    // "=" and an empty line are both the empty response; the password check
    // refuses empty names, the exchange does not guess.
    SaslExchange sasl("LOGIN");
    CHECK(challenge(sasl.step("=")) == password_prompt);
    CHECK(sasl.login_username().empty());
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
        CHECK(at_username.stage() == Stage::finished);
        auto at_password = login_at_password("alice");
        CHECK(failure(at_password.step("*")) == SaslFailure::cancelled);
        CHECK(at_password.login_username().empty());
    }
    SECTION("not base64") {
        for (const char* bad : {"%%%", "YWxpY2U", "YW xpY2U=", "=YWxpY2U", "YQ==YQ==", "***"}) {
            SaslExchange at_username("LOGIN");
            CHECK(failure(at_username.step(bad)) == SaslFailure::malformed_base64);
            CHECK(at_username.stage() == Stage::finished);
            auto at_password = login_at_password("alice");
            CHECK(failure(at_password.step(bad)) == SaslFailure::malformed_base64);
            CHECK(at_password.stage() == Stage::finished);
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

TEST_CASE("SaslExchange: resumed from a session's fields", "[auth][sasl]") {
    // What a session stores after a challenge gives back the same exchange.
    auto original = login_at_password("alice@example.org");
    auto resumed = SaslExchange::resume(original.stage(), original.login_username());
    CHECK(resumed.stage() == Stage::login_password);
    CHECK(challenge(resumed.begin()) == password_prompt);
    auto c = credentials(resumed.step(b64("secret")));
    CHECK(c.username == "alice@example.org");
    CHECK(c.password == "secret");

    auto plain = SaslExchange::resume(Stage::plain_response, "ignored");
    CHECK(plain.login_username().empty());
    CHECK(challenge(plain.begin()).empty());
    CHECK(credentials(plain.step(b64("\0bob\0pw"s))).username == "bob");

    auto login = SaslExchange::resume(Stage::login_username, "ignored");
    CHECK(login.login_username().empty());
    CHECK(challenge(login.step(b64("carol"))) == password_prompt);
    CHECK(login.login_username() == "carol");

    // A stage that is over, or a value no stage has, resumes nothing.
    for (auto stage : {Stage::finished, static_cast<Stage>(42)}) {
        auto none = SaslExchange::resume(stage, "alice");
        CHECK(none.stage() == Stage::finished);
        CHECK(none.login_username().empty());
        CHECK(failure(none.begin()) == SaslFailure::out_of_turn);
        CHECK(failure(none.step(b64("secret"))) == SaslFailure::out_of_turn);
    }
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
