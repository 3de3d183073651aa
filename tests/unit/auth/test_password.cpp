// verify_password for every scheme, with hashes made by libxcrypt itself.
#include <crypt.h>

#include <catch2/catch.hpp>

#include <memory>

#include "common/auth/password.hpp"

using pochta::auth::hash_password;
using pochta::auth::UserEntry;
using pochta::auth::verify_password;

namespace {

std::string make_hash(const char* prefix, unsigned long cost, const std::string& password) {
    char salt[CRYPT_GENSALT_OUTPUT_SIZE];
    REQUIRE(crypt_gensalt_rn(prefix, cost, nullptr, 0, salt, sizeof salt) != nullptr);
    auto data = std::make_unique<crypt_data>();
    const char* out = crypt_r(password.c_str(), salt, data.get());
    REQUIRE(out != nullptr);
    REQUIRE(out[0] != '*');
    return out;
}

UserEntry entry(std::string scheme, std::string hash) {
    return UserEntry{"alice@example.org", std::move(scheme), std::move(hash)};
}

}  // namespace

TEST_CASE("hash_password makes SHA512-CRYPT with a fresh salt", "[auth][password]") {
    std::string h1 = hash_password("correct horse");
    std::string h2 = hash_password("correct horse");
    REQUIRE(h1.rfind("{SHA512-CRYPT}$6$", 0) == 0);
    CHECK(h1 != h2);
    auto user = entry("SHA512-CRYPT", h1.substr(std::string("{SHA512-CRYPT}").size()));
    CHECK(verify_password(user, "correct horse"));
    CHECK_FALSE(verify_password(user, "correct horse "));
    CHECK_FALSE(verify_password(user, "Correct horse"));
    CHECK_FALSE(verify_password(user, ""));
    CHECK_THROWS(hash_password(""));
    CHECK_THROWS(hash_password(std::string("a\0b", 3)));
}

TEST_CASE("crypt schemes verify", "[auth][password]") {
    struct Case {
        const char* scheme;
        const char* prefix;
        unsigned long cost;
    };
    for (auto c : {Case{"SHA512-CRYPT", "$6$", 0}, Case{"SHA256-CRYPT", "$5$", 0}, Case{"BLF-CRYPT", "$2b$", 4},
                   Case{"CRYPT", "$y$", 0}, Case{"CRYPT", "$6$", 0}, Case{"CRYPT", "$2b$", 4}}) {
        INFO(c.scheme << " " << c.prefix);
        auto user = entry(c.scheme, make_hash(c.prefix, c.cost, "pässword:with#chars"));
        CHECK(verify_password(user, "pässword:with#chars"));
        CHECK_FALSE(verify_password(user, "pässword:with#char"));
        CHECK_FALSE(verify_password(user, "wrong"));
        CHECK_FALSE(verify_password(user, ""));
        // crypt(3) stops at NUL: a password with a NUL must not match its prefix.
        CHECK_FALSE(verify_password(user, std::string("pässword:with#chars\0junk", 24)));
    }
}

TEST_CASE("the hash must fit the scheme it is labelled with", "[auth][password]") {
    std::string sha256 = make_hash("$5$", 0, "pw");
    CHECK_FALSE(verify_password(entry("SHA512-CRYPT", sha256), "pw"));
    CHECK_FALSE(verify_password(entry("BLF-CRYPT", sha256), "pw"));
    CHECK(verify_password(entry("SHA256-CRYPT", sha256), "pw"));
    CHECK(verify_password(entry("CRYPT", sha256), "pw"));
    CHECK_FALSE(verify_password(entry("SHA256-CRYPT", make_hash("$6$", 0, "pw")), "pw"));
    CHECK_FALSE(verify_password(entry("MD5", sha256), "pw"));
    CHECK_FALSE(verify_password(entry("", sha256), "pw"));
}

TEST_CASE("malformed hashes never verify", "[auth][password]") {
    std::string good = make_hash("$6$", 0, "pw");
    for (std::string bad : {std::string("$6$"), std::string("$6$salt$"), std::string("$6$salt$short"),
                            good.substr(0, good.size() - 1), good + "x", std::string("*"), std::string("!"),
                            std::string("*0"), std::string("garbage"), std::string("$9$abc$def"), std::string(""),
                            std::string("$y$"), std::string("$2b$99$abcdefghijklmnopqrstuv")}) {
        INFO("hash: " << bad);
        CHECK_FALSE(verify_password(entry("CRYPT", bad), "pw"));
        CHECK_FALSE(verify_password(entry("CRYPT", bad), ""));
        CHECK_FALSE(verify_password(entry("SHA512-CRYPT", bad), "pw"));
    }
}

TEST_CASE("PLAIN compares exactly", "[auth][password]") {
    auto user = entry("PLAIN", "not-for-production");
    CHECK(verify_password(user, "not-for-production"));
    CHECK_FALSE(verify_password(user, "not-for-productio"));
    CHECK_FALSE(verify_password(user, "not-for-production!"));
    CHECK_FALSE(verify_password(user, "NOT-FOR-PRODUCTION"));
    CHECK_FALSE(verify_password(user, ""));
    CHECK_FALSE(verify_password(user, std::string("not-for-production\0", 19)));
    CHECK_FALSE(verify_password(user, std::string(5000, 'x')));
}
