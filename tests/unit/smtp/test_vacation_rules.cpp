// The vacation rules (RFC 5230 4.5-4.6, RFC 3834 2): which messages never
// get a reply, read from the header and the envelope sender.
#include <catch2/catch.hpp>

#include "common/util/strings.hpp"
#include "smtp/vacation_rules.hpp"

using namespace pochta;
using namespace pochta::smtp;

namespace {

bool alice(std::string_view address) {
    return iequals(address, "alice@example.org") || iequals(address, "al@example.org");
}

std::optional<std::string> verdict(const std::string& header, std::string_view sender = "bob@remote.example") {
    return no_reply_reason(sender, read_incoming_header(header), alice);
}

const std::string to_alice = "From: Bob <bob@remote.example>\r\nTo: Alice <alice@example.org>\r\nSubject: hi\r\n\r\n";

}  // namespace

TEST_CASE("a personal message to the user gets a reply", "[smtp][vacation]") {
    CHECK(verdict(to_alice) == std::nullopt);
    CHECK(verdict("To: team@x.example,\r\n Al <AL@example.org>\r\n\r\n") == std::nullopt);  // folded, any case
    CHECK(verdict("Cc: alice@example.org\r\n\r\n") == std::nullopt);
    CHECK(verdict("Resent-To: alice@example.org\r\n\r\n") == std::nullopt);
    CHECK(verdict("Auto-Submitted: no\r\nTo: alice@example.org\r\n\r\n") == std::nullopt);
    CHECK(verdict("Precedence: first-class\r\nTo: alice@example.org\r\n\r\n") == std::nullopt);
}

TEST_CASE("the user must be named in To, Cc or Bcc", "[smtp][vacation]") {
    CHECK(verdict("To: someone@example.org\r\n\r\n") == "user not in To, Cc or Bcc");
    CHECK(verdict("Subject: no recipients at all\r\n\r\n") == "user not in To, Cc or Bcc");
    CHECK(verdict("To: undisclosed-recipients:;\r\n\r\n") == "user not in To, Cc or Bcc");
    CHECK(verdict("X-Original-To: alice@example.org\r\n\r\n") == "user not in To, Cc or Bcc");
}

TEST_CASE("no reply to the null sender, programs or the user", "[smtp][vacation]") {
    CHECK(verdict(to_alice, "") == "null sender");
    for (const char* sender : {"MAILER-DAEMON@remote.example", "owner-list@remote.example",
                               "list-request@remote.example", "LISTSERV@remote.example", "majordomo@remote.example",
                               "noreply@remote.example", "users-bounces@remote.example"}) {
        CAPTURE(sender);
        CHECK(verdict(to_alice, sender) == "sender is a program");
    }
    CHECK(verdict(to_alice, "Alice@Example.org") == "sender is the user");
}

TEST_CASE("no reply to automatic, list or bulk mail", "[smtp][vacation]") {
    const std::string to = "To: alice@example.org\r\n";
    CHECK(verdict(to + "Auto-Submitted: auto-replied\r\n\r\n") == "Auto-Submitted message");
    CHECK(verdict(to + "auto-submitted: Auto-Generated (daily)\r\n\r\n") == "Auto-Submitted message");
    for (const char* field : {"List-Id: <dev.lists.example>", "List-Unsubscribe: <mailto:u@lists.example>",
                              "List-Post: NO", "list-help: <mailto:h@x>", "List-Subscribe: <mailto:s@x>",
                              "List-Owner: <mailto:o@x>", "List-Archive: <https://x/>"}) {
        CAPTURE(field);
        CHECK(verdict(to + field + "\r\n\r\n") == "list message");
    }
    CHECK(verdict(to + "Precedence: bulk\r\n\r\n") == "Precedence bulk");
    CHECK(verdict(to + "Precedence: LIST\r\n\r\n") == "Precedence list");
    CHECK(verdict(to + "Precedence: junk\r\n\r\n") == "Precedence junk");
    CHECK(verdict(to + "X-Auto-Response-Suppress: DR, OOF\r\n\r\n") == "X-Auto-Response-Suppress");
    CHECK(verdict(to + "X-Auto-Response-Suppress: All\r\n\r\n") == "X-Auto-Response-Suppress");
    CHECK(verdict(to + "X-Auto-Response-Suppress: DR\r\n\r\n") == std::nullopt);
}

TEST_CASE("the header is read with bounds", "[smtp][vacation]") {
    std::string many = "To: ";
    for (int i = 0; i < 3000; ++i) many += "a" + std::to_string(i) + "@x.example, ";
    IncomingHeader header = read_incoming_header(many + "\r\nCc: alice@example.org\r\n\r\n");
    CHECK(header.recipients.size() <= max_vacation_recipients);
    header = read_incoming_header("Subject: " + std::string(10000, 's') + "\r\nMessage-ID: <m@x>\r\n\r\n");
    CHECK(header.subject.size() <= max_vacation_field);
    CHECK(header.message_id == "<m@x>");
}
