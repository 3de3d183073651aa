// The SRS secrets file (mailauth/srs_secrets.hpp).
#include <catch2/catch.hpp>
#include <sys/stat.h>

#include <fstream>

#include "mailauth/srs_secrets.hpp"
#include "tests/unit/config/temp_dir.hpp"

using pochta::mailauth::load_srs_secrets;
using pochta::test::TempDir;

TEST_CASE("a missing secrets file is created with one random secret, mode 0600", "[srs]") {
    TempDir dir;
    auto file = dir.path() / "srs_secret";
    auto first = load_srs_secrets(file);
    REQUIRE(first.size() == 1);
    CHECK(first.front().size() == 44);  // 32 bytes in base64
    struct stat st {};
    REQUIRE(::stat(file.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    CHECK(load_srs_secrets(file) == first);  // kept, not made anew
    TempDir other;
    CHECK(load_srs_secrets(other.path() / "srs_secret") != first);
}

TEST_CASE("every line is a secret, the first one signs", "[srs]") {
    TempDir dir;
    auto file = dir.write("s", "# rotated 2026-01\nthe-new-secret-0001\r\n\n  the-old-secret-0002  \n");
    CHECK(load_srs_secrets(file) == std::vector<std::string>{"the-new-secret-0001", "the-old-secret-0002"});
}

TEST_CASE("a secrets file with short, no or too many secrets is refused", "[srs]") {
    TempDir dir;
    CHECK_THROWS_WITH(load_srs_secrets(dir.write("a", "short\n")), Catch::Contains("16 to 1024 characters"));
    CHECK_THROWS_WITH(load_srs_secrets(dir.write("b", "# nothing\n\n")), Catch::Contains("no secret"));
    std::string many;
    for (int i = 0; i < 101; i++) many += "secret-number-" + std::to_string(1000 + i) + "\n";
    CHECK_THROWS_WITH(load_srs_secrets(dir.write("c", many)), Catch::Contains("more than 100"));
}
