// Log lines: one line per event, whatever the logged values contain.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdio>
#include <string>

#include "common/util/log.hpp"

using namespace pochta;

namespace {

// What log::write puts on stderr for one call.
std::string captured(const std::string& value) {
    std::fflush(stderr);
    int saved = dup(2);
    std::FILE* file = std::tmpfile();
    REQUIRE(file);
    dup2(fileno(file), 2);
    log::info("user={} done", value);
    std::fflush(stderr);
    dup2(saved, 2);
    close(saved);
    std::rewind(file);
    std::string out;
    char buf[512];
    while (size_t n = std::fread(buf, 1, sizeof buf, file)) out.append(buf, n);
    std::fclose(file);
    return out;
}

}  // namespace

TEST_CASE("control characters in logged values cannot forge log lines", "[log]") {
    std::string line = captured("mallory\r\n2026-01-01T00:00:00.000Z info forged\x1b[31m\x7f");
    CHECK(line.find("user=mallory\\x0d\\x0a2026-01-01T00:00:00.000Z info forged\\x1b[31m\\x7f done\n") !=
          std::string::npos);
    CHECK(line.find('\r') == std::string::npos);
    CHECK(line.find('\n') == line.size() - 1);  // exactly one line
    CHECK(captured("alice@example.test").find("user=alice@example.test done\n") != std::string::npos);
    // UTF-8 stays as it is.
    CHECK(captured("jos\xc3\xa9").find("user=jos\xc3\xa9 done") != std::string::npos);
}

TEST_CASE("client-chosen values are quoted so they cannot pose as another field", "[log]") {
    CHECK(log::quoted("alice@example.test") == "\"alice@example.test\"");
    CHECK(log::quoted("") == "\"\"");
    CHECK(log::quoted("x\" client=10.0.0.1 accepted") == "\"x\\\" client=10.0.0.1 accepted\"");
    CHECK(log::quoted("a\\b") == "\"a\\\\b\"");
    CHECK(log::quoted("a\nb\r\x01\x7f") == "\"a\\x0ab\\x0d\\x01\\x7f\"");
    CHECK(log::quoted("jos\xc3\xa9") == "\"jos\xc3\xa9\"");
    // In a whole line: the value stays inside its quotes.
    std::string line = captured(log::quoted("x\" client=10.0.0.1 user=\"y"));
    CHECK(line.find("user=\"x\\\" client=10.0.0.1 user=\\\"y\" done\n") != std::string::npos);
}
