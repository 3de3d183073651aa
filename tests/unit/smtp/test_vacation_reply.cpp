// The vacation reply (RFC 3834 3.1, RFC 5230 5): its header fields,
// threading, subject, body encoding, and no way for a header value or a
// :mime reason to add fields of its own.
#include <catch2/catch.hpp>

#include "common/util/strings.hpp"
#include "smtp/vacation_reply.hpp"

using namespace pochta;
using namespace pochta::smtp;
using Catch::Matchers::Contains;

namespace {

VacationReply reply_with(std::string reason) {
    VacationReply r;
    r.from = "alice@example.org";
    r.to = "bob@remote.example";
    r.reason = std::move(reason);
    r.date = "Tue, 08 Dec 2026 10:00:00 +0000";
    r.message_id = "<r1@mail.example.org>";
    return r;
}

IncomingHeader original(const std::string& header) { return read_incoming_header(header + "\r\n"); }

std::string header_of(const std::string& message) { return message.substr(0, message.find("\r\n\r\n") + 2); }
std::string body_of(const std::string& message) { return message.substr(message.find("\r\n\r\n") + 4); }

}  // namespace

TEST_CASE("a plain reply, whole", "[smtp][vacation]") {
    const auto in = original("Subject: Lunch?\r\nMessage-ID: <m2@remote.example>\r\nReferences: <m1@remote.example>\r\n");
    CHECK(compose_vacation_reply(reply_with("Away until Monday.\n"), in) ==
          "From: alice@example.org\r\n"
          "To: <bob@remote.example>\r\n"
          "Subject: Auto: Lunch?\r\n"
          "Date: Tue, 08 Dec 2026 10:00:00 +0000\r\n"
          "Message-ID: <r1@mail.example.org>\r\n"
          "In-Reply-To: <m2@remote.example>\r\n"
          "References: <m1@remote.example> <m2@remote.example>\r\n"
          "Auto-Submitted: auto-replied (vacation)\r\n"
          "MIME-Version: 1.0\r\n"
          "Content-Type: text/plain; charset=utf-8\r\n"
          "Content-Transfer-Encoding: 7bit\r\n"
          "\r\n"
          "Away until Monday.\r\n");
}

TEST_CASE("the subject: :subject, or Auto: and the original's", "[smtp][vacation]") {
    auto r = reply_with("x");
    CHECK_THAT(compose_vacation_reply(r, original("")), Contains("\r\nSubject: Auto:\r\n"));
    r.subject = "Out of office";
    CHECK_THAT(compose_vacation_reply(r, original("Subject: Lunch?")), Contains("\r\nSubject: Out of office\r\n"));
    r.subject = "En congés jusqu'au 5";
    CHECK_THAT(compose_vacation_reply(r, original("")),
               Contains("\r\nSubject: =?UTF-8?B?" + base64_encode("En congés jusqu'au 5") + "?=\r\n"));
    r.subject = "";  // encoded words of the original stay as they are
    CHECK_THAT(compose_vacation_reply(r, original("Subject: =?UTF-8?Q?caf=C3=A9?=")),
               Contains("\r\nSubject: Auto: =?UTF-8?Q?caf=C3=A9?=\r\n"));
}

TEST_CASE("long UTF-8 subjects become several whole-character encoded words", "[smtp][vacation]") {
    auto r = reply_with("x");
    std::string cyrillic;
    for (int i = 0; i < 60; ++i) cyrillic += "я";  // 2 octets each
    r.subject = cyrillic;
    const std::string header = header_of(compose_vacation_reply(r, original("")));
    for (std::string_view line : split(header, '\n')) CHECK(line.size() <= 78);
    std::string decoded;
    size_t at = 0;
    while ((at = header.find("=?UTF-8?B?", at)) != std::string::npos) {
        at += 10;
        const size_t end = header.find("?=", at);
        auto piece = base64_decode(header.substr(at, end - at));
        REQUIRE(piece);
        CHECK(piece->size() % 2 == 0);
        decoded += *piece;
    }
    CHECK(decoded == cyrillic);
}

TEST_CASE("line ends in values never make header fields", "[smtp][vacation]") {
    auto r = reply_with("x");
    r.subject = "Away\r\nBcc: everyone@example.org";
    r.from = "alice@example.org\r\nX-Evil: 1";
    const std::string header = header_of(compose_vacation_reply(r, original("")));
    CHECK(header.find("\r\nBcc:") == std::string::npos);
    CHECK(header.find("\r\nX-Evil:") == std::string::npos);
    CHECK_THAT(header, Contains("Subject: Away Bcc: everyone@example.org\r\n"));
}

TEST_CASE("References keeps the first and the latest ids", "[smtp][vacation]") {
    std::string references = "References:";
    for (int i = 0; i < 50; ++i) references += " <r" + std::to_string(i) + "@x>";
    const std::string header =
        header_of(compose_vacation_reply(reply_with("x"), original(references + "\r\nMessage-ID: <last@x>")));
    CHECK_THAT(header, Contains("References: <r0@x>"));
    CHECK_THAT(header, Contains("<r49@x> <last@x>\r\n"));
    CHECK(header.find("<r10@x>") == std::string::npos);
    CHECK(compose_vacation_reply(reply_with("x"), original("References: <a@x>")).find("In-Reply-To") ==
          std::string::npos);  // nothing to thread to without a Message-ID
}

TEST_CASE("a body that is not short ASCII lines is base64", "[smtp][vacation]") {
    std::string text = "Je suis absente.\nRéponse lundi.";
    std::string message = compose_vacation_reply(reply_with(text), original(""));
    CHECK_THAT(header_of(message), Contains("Content-Transfer-Encoding: base64\r\n"));
    std::string encoded;
    const std::string body = body_of(message);
    for (std::string_view line : split(body, '\n')) {
        CHECK(line.size() <= 77);
        if (line.ends_with('\r')) line.remove_suffix(1);
        encoded += line;
    }
    CHECK(base64_decode(encoded) == "Je suis absente.\r\nRéponse lundi.\r\n");
    message = compose_vacation_reply(reply_with(std::string(1200, 'a')), original(""));
    CHECK_THAT(header_of(message), Contains("Content-Transfer-Encoding: base64\r\n"));
}

TEST_CASE("a :mime reason brings only its Content-* fields", "[smtp][vacation]") {
    auto r = reply_with(
        "Content-Type: multipart/alternative; boundary=\"b\"\nFrom: ceo@example.org\n\n--b\nContent-Type: "
        "text/plain\n\nAway\n--b--\n");
    r.mime = true;
    const std::string message = compose_vacation_reply(r, original(""));
    CHECK_THAT(header_of(message), Contains("MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=\"b\"\r\n"));
    CHECK(header_of(message).find("ceo@") == std::string::npos);
    CHECK(body_of(message) == "--b\r\nContent-Type: text/plain\r\n\r\nAway\r\n--b--\r\n");
}
