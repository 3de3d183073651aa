// decode_sasl_plain: RFC 4616 messages, well-formed and not.
#include <catch2/catch.hpp>

#include "common/auth/sasl.hpp"
#include "common/util/strings.hpp"

using pochta::base64_encode;
using pochta::auth::decode_sasl_plain;

namespace {

std::string b64(std::string_view raw) {
    return base64_encode(raw);
}

using namespace std::string_literals;

}  // namespace

TEST_CASE("SASL PLAIN: valid messages", "[auth][sasl]") {
    auto c = decode_sasl_plain(b64("\0alice@example.org\0secret"s));
    REQUIRE(c);
    CHECK(c->authzid.empty());
    CHECK(c->username == "alice@example.org");
    CHECK(c->password == "secret");

    c = decode_sasl_plain(b64("admin@example.org\0alice@example.org\0pass word:ü"s));
    REQUIRE(c);
    CHECK(c->authzid == "admin@example.org");
    CHECK(c->username == "alice@example.org");
    CHECK(c->password == "pass word:ü");

    // RFC 4616's own example.
    c = decode_sasl_plain("AHRpbQB0YW5zdGFhZnRhbmJvb20=");
    REQUIRE(c);
    CHECK(c->username == "tim");
    CHECK(c->password == "tanstaaftanboom");
}

TEST_CASE("SASL PLAIN: malformed messages", "[auth][sasl]") {
    CHECK_FALSE(decode_sasl_plain(""));
    CHECK_FALSE(decode_sasl_plain("="));
    CHECK_FALSE(decode_sasl_plain("*"));
    CHECK_FALSE(decode_sasl_plain("AHRpbQB0YW5zdGFhZnRhbmJvb20"));    // length not a multiple of 4
    CHECK_FALSE(decode_sasl_plain("AHRpbQB0YW5zdGFhZnRhbmJvb20=\r")); // trailing junk
    CHECK_FALSE(decode_sasl_plain("AHRpbQB0 W5zdGFhZnRhbmJvb20="));
    CHECK_FALSE(decode_sasl_plain("A=RpbQB0YW5zdGFhZnRhbmJvb20="));
    CHECK_FALSE(decode_sasl_plain(b64("alice secret")));                // no NUL
    CHECK_FALSE(decode_sasl_plain(b64("\0alice secret"s)));             // one NUL
    CHECK_FALSE(decode_sasl_plain(b64("\0\0secret"s)));                 // empty username
    CHECK_FALSE(decode_sasl_plain(b64("authz\0\0secret"s)));            // empty username with authzid
    CHECK_FALSE(decode_sasl_plain(b64("\0alice\0"s)));                  // empty password
    CHECK_FALSE(decode_sasl_plain(b64("\0alice\0sec\0ret"s)));          // NUL inside the password
    CHECK_FALSE(decode_sasl_plain(b64("\0alice\0secret\0"s)));
}

TEST_CASE("SASL PLAIN: size bound", "[auth][sasl]") {
    std::string at_limit = "\0alice\0"s + std::string(1024 - 7, 'p');
    REQUIRE(at_limit.size() == 1024);
    auto c = decode_sasl_plain(b64(at_limit));
    REQUIRE(c);
    CHECK(c->password.size() == 1017);
    CHECK_FALSE(decode_sasl_plain(b64(at_limit + "p")));
    CHECK_FALSE(decode_sasl_plain(std::string(100000, 'A')));
}
