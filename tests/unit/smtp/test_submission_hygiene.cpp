// The header fields submission adds (smtp/submission_hygiene.hpp).
#include <catch2/catch.hpp>

#include <regex>

#include "smtp/submission_hygiene.hpp"

using namespace pochta::smtp;

namespace {

const SubmitterIdentity who{"mail.example.org", "alice@example.org"};

std::string added(std::string_view message, bool whole = true) { return missing_header_fields(message, whole, who); }

bool has(const std::string& fields, const char* pattern) {
    return std::regex_search(fields, std::regex(pattern, std::regex::multiline));
}

}  // namespace

TEST_CASE("a complete header gets nothing", "[hygiene]") {
    CHECK(added("From: a@b\r\nDate: Mon, 1 Jan 2026 00:00:00 +0000\r\nMessage-ID: <x@y>\r\n\r\nbody\r\n").empty());
    // Names are case-insensitive; bare LF lines count too.
    CHECK(added("from: a@b\ndate: x\nmessage-id: <x@y>\n\nbody\n").empty());
}

TEST_CASE("missing fields are added", "[hygiene]") {
    std::string out = added("Subject: hi\r\nTo: b@c\r\n\r\nbody\r\n");
    CHECK(has(out, "^Message-ID: <[0-9a-f]{32}@mail\\.example\\.org>\r$"));
    CHECK(has(out, "^Date: [A-Z][a-z]{2}, \\d{1,2} [A-Z][a-z]{2} \\d{4} \\d\\d:\\d\\d:\\d\\d [+-]\\d{4}\r$"));
    CHECK(has(out, "^From: <alice@example\\.org>\r$"));
    CHECK(out.size() > 2);
    CHECK(out.substr(out.size() - 2) == "\r\n");
    CHECK(out.find("\r\n\r\n") == std::string::npos);

    out = added("From: a@b\r\nSubject: hi\r\n\r\n");
    CHECK(!has(out, "^From:"));
    CHECK(has(out, "^Date:"));
    CHECK(has(out, "^Message-ID:"));
}

TEST_CASE("only the header is searched", "[hygiene]") {
    // A From line in the body or in a folded field is not a From field.
    std::string out = added("Subject: x\r\n From: folded\r\n\r\nFrom: in the body\r\nDate: x\r\n");
    CHECK(has(out, "^From: <alice"));
    CHECK(has(out, "^Date:"));
}

TEST_CASE("a message without a header gets the fields and an empty line", "[hygiene]") {
    std::string out = added("just some text\r\nmore\r\n");
    CHECK(has(out, "^From:"));
    CHECK(out.substr(out.size() - 4) == "\r\n\r\n");
    // Header only, no body: the end of the message ends the header.
    out = added("Subject: x\r\nFrom: a@b");
    CHECK(!has(out, "^From:"));
    CHECK(has(out, "^Date:"));
}

TEST_CASE("a header that does not end within the head of a spooled message is left alone", "[hygiene]") {
    std::string head = "Subject: x\r\nX-Long: " + std::string(1000, 'a');
    CHECK(added(head, false).empty());
    CHECK(added(head + "\r\nX-More: y\r\n", false).empty());
    // The same head with its end seen is judged.
    CHECK(has(added(head + "\r\n\r\nbody", false), "^From:"));
}
