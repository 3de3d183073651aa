// RFC 3464 bounces: structure, exact fields, and when none is sent.
#include <catch2/catch.hpp>

#include "outbound/dsn.hpp"

using namespace pochta::outbound;
using namespace std::chrono_literals;
using Action = DsnRecipient::Action;

namespace {

const std::string original =
    "Received: from a by b; Mon, 1 Jan 2024 00:00:00 +0000\r\n"
    "From: Alice <alice@example.org>\r\n"
    "To: bob@remote.example\r\n"
    "Subject: hello\r\n"
    "\r\n"
    "SECRET BODY TEXT\r\n";

std::chrono::system_clock::time_point at(long long seconds) {
    return std::chrono::system_clock::time_point(std::chrono::seconds(seconds));
}

DsnInput sample() {
    DsnInput in;
    in.reporting_mta = "mail.example.org";
    in.queue_id = "abc123";
    in.original_sender = "alice@example.org";
    in.arrival = at(1700000000);
    in.original_message = original;
    in.boundary = "BOUNDARY";
    in.date = "Wed, 15 Nov 2023 00:00:00 +0000";
    DsnRecipient bob;
    bob.address = "bob@remote.example";
    bob.remote_mta = "mx.remote.example";
    bob.diagnostic = "550 5.1.1 <bob@remote.example>: no such user";
    bob.last_attempt = at(1700000100);
    DsnRecipient carol;
    carol.address = "carol@nomail.example";
    carol.status = "5.1.10";
    carol.reason = "domain nomail.example does not accept mail (null MX, RFC 7505)";
    carol.last_attempt = at(1700000100);
    in.recipients = {bob, carol};
    return in;
}

bool contains(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

}  // namespace

TEST_CASE("never bounce a null sender", "[outbound][dsn]") {
    CHECK_FALSE(should_bounce(""));
    CHECK_FALSE(should_bounce("<>"));
    CHECK_FALSE(should_bounce("  "));
    CHECK(should_bounce("alice@example.org"));
}

TEST_CASE("more than 50 Received fields is a mail loop", "[outbound][dsn]") {
    std::string fifty, fifty_one;
    for (int i = 0; i < 50; i++) fifty += "Received: from x by y; date\r\n";
    fifty_one = fifty + "Received: one more\r\n";
    CHECK_FALSE(is_mail_loop(fifty + "\r\nbody"));
    CHECK(is_mail_loop(fifty_one + "\r\nbody"));
    // Received lines in the body do not count.
    CHECK_FALSE(is_mail_loop("Subject: x\r\n\r\n" + fifty_one));
}

TEST_CASE("status codes: from the reply, forced to the action's class", "[outbound][dsn]") {
    DsnRecipient r;
    r.diagnostic = "550 5.1.1 no such user";
    CHECK(dsn_status(r) == "5.1.1");
    r.diagnostic = "452 4.2.2 mailbox full";   // given up after a temporary error
    CHECK(dsn_status(r) == "5.2.2");
    r.action = Action::delayed;
    CHECK(dsn_status(r) == "4.2.2");
    r.action = Action::failed;
    r.diagnostic = "554 transaction failed";   // no enhanced code
    CHECK(dsn_status(r) == "5.0.0");
    r.diagnostic = "";
    r.status = "4.4.7";
    CHECK(dsn_status(r) == "5.4.7");
    r.status = "garbage";
    CHECK(dsn_status(r) == "5.0.0");
    r.status = "";
    CHECK(dsn_status(r) == "5.0.0");
}

TEST_CASE("the bounce is a multipart/report with the three parts", "[outbound][dsn]") {
    Bounce b = compose_dsn(sample());
    const std::string& m = b.message;
    CHECK(b.envelope_to == "alice@example.org");
    // Top-level header.
    CHECK(m.rfind("From: Mail Delivery System <MAILER-DAEMON@mail.example.org>\r\n", 0) == 0);
    CHECK(contains(m, "\r\nTo: <alice@example.org>\r\n"));
    CHECK(contains(m, "\r\nSubject: Undelivered Mail Returned to Sender\r\n"));
    CHECK(contains(m, "\r\nDate: Wed, 15 Nov 2023 00:00:00 +0000\r\n"));
    CHECK(contains(m, "\r\nAuto-Submitted: auto-replied\r\n"));
    CHECK(contains(m, "\r\nMIME-Version: 1.0\r\n"));
    CHECK(contains(m, "Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary=\"BOUNDARY\"\r\n"));
    CHECK(contains(m, "\r\nMessage-ID: <"));
    // Parts in order.
    size_t p1 = m.find("--BOUNDARY\r\nContent-Description: Notification\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n");
    size_t p2 = m.find("--BOUNDARY\r\nContent-Description: Delivery report\r\nContent-Type: message/delivery-status\r\n\r\n");
    size_t p3 = m.find("--BOUNDARY\r\nContent-Description: Undelivered Message Headers\r\nContent-Type: text/rfc822-headers\r\n\r\n");
    REQUIRE(p1 != std::string::npos);
    REQUIRE(p2 != std::string::npos);
    REQUIRE(p3 != std::string::npos);
    CHECK(p1 < p2);
    CHECK(p2 < p3);
    CHECK(m.size() >= 14);
    CHECK(m.substr(m.size() - 14) == "--BOUNDARY--\r\n");
    // Every line ends in CRLF.
    for (size_t i = 0; i < m.size(); i++)
        if (m[i] == '\n') REQUIRE((i > 0 && m[i - 1] == '\r'));
}

TEST_CASE("the human part names each recipient and why", "[outbound][dsn]") {
    Bounce b = compose_dsn(sample());
    CHECK(contains(b.message, "This is the mail system at host mail.example.org."));
    CHECK(contains(b.message, "<bob@remote.example>: failed: host mx.remote.example said: 550 5.1.1 "
                              "<bob@remote.example>: no such user\r\n"));
    CHECK(contains(b.message, "<carol@nomail.example>: failed: domain nomail.example does not accept mail"));
}

TEST_CASE("the delivery-status part has the exact fields", "[outbound][dsn]") {
    Bounce b = compose_dsn(sample());
    const std::string& m = b.message;
    std::string per_message =
        "Reporting-MTA: dns; mail.example.org\r\n"
        "X-Pochta-Queue-ID: abc123\r\n"
        "X-Original-Sender: rfc822; alice@example.org\r\n"
        "Arrival-Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n"
        "\r\n";
    std::string bob =
        "Final-Recipient: rfc822; bob@remote.example\r\n"
        "Action: failed\r\n"
        "Status: 5.1.1\r\n"
        "Remote-MTA: dns; mx.remote.example\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 <bob@remote.example>: no such user\r\n"
        "Last-Attempt-Date: Tue, 14 Nov 2023 22:15:00 +0000\r\n"
        "\r\n";
    std::string carol =
        "Final-Recipient: rfc822; carol@nomail.example\r\n"
        "Action: failed\r\n"
        "Status: 5.1.10\r\n"
        "Diagnostic-Code: X-Pochta; domain nomail.example does not accept mail (null\r\n"
        " MX, RFC 7505)\r\n"
        "Last-Attempt-Date: Tue, 14 Nov 2023 22:15:00 +0000\r\n";
    CHECK(contains(m, per_message + bob + carol));
}

TEST_CASE("only the original headers are returned", "[outbound][dsn]") {
    Bounce b = compose_dsn(sample());
    CHECK(contains(b.message,
                   "Received: from a by b; Mon, 1 Jan 2024 00:00:00 +0000\r\nFrom: Alice <alice@example.org>\r\n"
                   "To: bob@remote.example\r\nSubject: hello\r\n\r\n--BOUNDARY--\r\n"));
    CHECK_FALSE(contains(b.message, "SECRET BODY TEXT"));

    // Bare LF messages, and a header without a body, and a huge header.
    DsnInput in = sample();
    std::string lf = "Subject: lf\nX-A: 1\n\nbody\n";
    in.original_message = lf;
    CHECK(contains(compose_dsn(in).message, "Subject: lf\r\nX-A: 1\r\n\r\n--BOUNDARY--"));
    std::string huge;
    for (int i = 0; i < 5000; i++) huge += "X-Filler: " + std::string(60, 'f') + "\r\n";
    in.original_message = huge;
    auto big = compose_dsn(in).message;
    CHECK(big.size() < 80 * 1024);
    CHECK(contains(big, "X-Filler: ffff"));
}

TEST_CASE("delays and UTF-8 addresses", "[outbound][dsn]") {
    DsnInput in = sample();
    in.recipients.resize(1);
    in.recipients[0].action = Action::delayed;
    in.recipients[0].diagnostic = "451 4.3.0 try later";
    auto delayed = compose_dsn(in).message;
    CHECK(contains(delayed, "Subject: Delayed Mail (still being retried)\r\n"));
    CHECK(contains(delayed, "Action: delayed\r\nStatus: 4.3.0\r\n"));

    in.recipients[0].address = "j\xc3\xb6rg@b\xc3\xbc" "cher.example";
    auto utf8 = compose_dsn(in).message;
    CHECK(contains(utf8, "Content-Type: message/global-delivery-status\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"));
    CHECK_FALSE(contains(delayed, "Content-Transfer-Encoding"));   // ASCII parts need none
    CHECK(contains(utf8, "Final-Recipient: utf-8; j\xc3\xb6rg@b\xc3\xbc" "cher.example\r\n"));
}

TEST_CASE("remote text cannot break the report's structure", "[outbound][dsn]") {
    DsnInput in = sample();
    in.recipients.resize(1);
    in.recipients[0].diagnostic = "550 evil\r\nContent-Type: text/html\r\n\r\n--BOUNDARY--" + std::string(5000, 'x');
    auto m = compose_dsn(in).message;
    CHECK_FALSE(contains(m, "\r\nContent-Type: text/html"));
    // The closing delimiter appears exactly once, at the end.
    CHECK(m.find("\r\n--BOUNDARY--") == m.size() - 16);
    CHECK(m.size() < 8000);
}

TEST_CASE("RFC 5322 dates are UTC", "[outbound][dsn]") {
    CHECK(rfc5322_date(at(0)) == "Thu, 01 Jan 1970 00:00:00 +0000");
    CHECK(rfc5322_date(at(1700000000)) == "Tue, 14 Nov 2023 22:13:20 +0000");
}
