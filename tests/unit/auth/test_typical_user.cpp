// An unknown login name is checked against a hash of the most common
// scheme and cost, so it costs what a known one does (README.md, "Logins
// under attack"), and it never logs in.
#include <catch2/catch.hpp>

#include "common/auth/directory.hpp"
#include "tests/unit/config/temp_dir.hpp"

using pochta::Config;
using pochta::auth::Snapshot;
using pochta::test::TempDir;

namespace {

std::shared_ptr<const Snapshot> load(TempDir& dir, const std::string& users) {
    Config config;
    config.file = dir.path() / "pochta.toml";
    config.hostname = "mail.example.org";
    config.domains = {"example.org"};
    config.users_file = dir.write("users", users);
    return Snapshot::load(config);
}

}  // namespace

TEST_CASE("the typical user has the most common scheme and cost", "[auth][typical]") {
    TempDir dir;
    auto snap = load(dir,
                     "a@example.org:{PLAIN}x\n"
                     "b@example.org:{BLF-CRYPT}$2b$10$abcdefghijklmnopqrstuuabcdefghijklmnopqrstuvwxyz01234\n"
                     "c@example.org:{BLF-CRYPT}$2b$12$abcdefghijklmnopqrstuuabcdefghijklmnopqrstuvwxyz01234\n"
                     "d@example.org:{BLF-CRYPT}$2b$12$bbcdefghijklmnopqrstuuabcdefghijklmnopqrstuvwxyz01234\n"
                     "e@example.org:{SHA512-CRYPT}$6$salt$hash\n");
    REQUIRE(snap->typical_user());
    CHECK(snap->typical_user()->scheme == "BLF-CRYPT");
    CHECK(snap->typical_user()->hash.rfind("$2b$12$", 0) == 0);
}

TEST_CASE("no users, no typical user", "[auth][typical]") {
    TempDir dir;
    CHECK(load(dir, "")->typical_user() == nullptr);
}
