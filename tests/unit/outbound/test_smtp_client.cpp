// The outbound SMTP client against a scripted server: the exact bytes it
// sends, and what it reports per recipient.
#include <catch2/catch.hpp>

#include "common/net/connection.hpp"
#include "common/net/tls.hpp"
#include "outbound/smtp_client.hpp"
#include "tests/unit/outbound/fake_smtp_server.hpp"

using namespace pochta;
using namespace pochta::outbound;
using namespace std::chrono_literals;
using test::FakeServer;
using test::Peer;

namespace {

SmtpClientOptions options() {
    SmtpClientOptions o;
    o.helo_name = "client.test";
    o.remote_host = "mx.test";
    o.timeouts.greeting = o.timeouts.command = o.timeouts.mail = o.timeouts.rcpt = 3s;
    o.timeouts.data_init = o.timeouts.data_block = o.timeouts.data_final = 3s;
    return o;
}

OutboundMessage message(std::string data, std::vector<std::string> rcpts = {"a@remote.test", "b@remote.test"}) {
    OutboundMessage m;
    m.queue_id = "q1";
    m.from = "sender@local.test";
    m.recipients = std::move(rcpts);
    auto needs = analyze_message(m.from, m.recipients, data);
    m.eight_bit = needs.eight_bit;
    m.smtputf8 = needs.smtputf8;
    m.data = std::make_shared<const std::string>(std::move(data));
    return m;
}

// Connects, delivers the messages one after another on one session (as
// long as it stays reusable), says QUIT, and waits for the script to end.
std::vector<TransactionResult> deliver(FakeServer& server, SmtpClientOptions opts, std::vector<OutboundMessage> messages) {
    net::EventLoop loop;
    std::vector<TransactionResult> results;
    SmtpClient::Ref client;
    size_t next = 1;
    std::function<void(TransactionResult)> on_done = [&](TransactionResult r) {
        bool reusable = r.reusable;
        results.push_back(std::move(r));
        if (next < messages.size() && reusable) return client.send(std::move(messages[next++]), on_done);
        client.quit();
    };
    std::string connect_error;
    net::Connection::connect(loop, "127.0.0.1", server.port(), 2s, [&](std::shared_ptr<net::Connection> conn, std::string error) {
        if (!conn) {
            connect_error = error;
            return;
        }
        client = SmtpClient::start(conn, std::move(opts), std::move(messages[0]), on_done);
    });
    bool timed_out = false;
    auto deadline = loop.start_timer(10s, [&] {
        timed_out = true;
        loop.stop();
    });
    auto poll = loop.start_repeating(5ms, [&] {
        if (server.finished() && results.size() >= 1 && (next >= messages.size() || !results.back().reusable)) loop.stop();
    });
    loop.run();
    CHECK(connect_error.empty());
    CHECK_FALSE(timed_out);
    return results;
}

// Connects to `server` and starts `client` there with `first`.
void start_client(net::EventLoop& loop, FakeServer& server, SmtpClient::Ref& client, OutboundMessage first,
                  SmtpClient::Done done) {
    net::Connection::connect(loop, "127.0.0.1", server.port(), 2s,
                             [&client, first = std::move(first), done = std::move(done)](
                                 std::shared_ptr<net::Connection> conn, std::string) mutable {
                                 REQUIRE(conn);
                                 client = SmtpClient::start(conn, options(), std::move(first), std::move(done));
                             });
}

std::vector<Outcome> outcomes(const TransactionResult& r) {
    std::vector<Outcome> out;
    for (const auto& rcpt : r.recipients) out.push_back(rcpt.outcome);
    return out;
}

void finish_with_quit(Peer& p) {
    p.line();
    p.send("221 bye\r\n");
}

}  // namespace

TEST_CASE("without PIPELINING: one command at a time, data dot-stuffed", "[outbound][client]") {
    FakeServer server([&](Peer& p) {
        p.greet({"SIZE 100000", "8BITMIME"});
        p.line();   // MAIL
        if (!p.quiet()) server.note("client did not wait for the MAIL reply");
        p.send("250 2.1.0 ok\r\n");
        p.line();
        p.send("250 2.1.5 ok\r\n");
        p.line();
        p.send("550 5.1.1 <b@remote.test>: no such user\r\n");
        p.line();   // DATA
        p.send("354 go ahead\r\n");
        p.until("\r\n.\r\n");
        p.send("250 2.0.0 queued as X\r\n");
        finish_with_quit(p);
    });
    auto results = deliver(server, options(), {message("Subject: t\r\n\r\n.leading dot\r\nlast line without end")});
    REQUIRE(results.size() == 1);
    auto& r = results[0];
    CHECK(server.transcript() ==
          "EHLO client.test\r\n"
          "MAIL FROM:<sender@local.test> SIZE=49\r\n"
          "RCPT TO:<a@remote.test>\r\n"
          "RCPT TO:<b@remote.test>\r\n"
          "DATA\r\n"
          "Subject: t\r\n\r\n..leading dot\r\nlast line without end\r\n.\r\n"
          "QUIT\r\n");
    CHECK(server.notes().empty());
    CHECK(outcomes(r) == std::vector<Outcome>{Outcome::delivered, Outcome::permanent});
    CHECK(r.recipients[0].reply == "250 2.0.0 queued as X");
    CHECK(r.recipients[1].reply == "550 5.1.1 <b@remote.test>: no such user");
    CHECK(r.recipients[1].remote);
    CHECK(r.reusable);
    CHECK(r.session_error.empty());
    CHECK(r.relay.rfind("mx.test[127.0.0.1]:", 0) == 0);
    CHECK(r.tls.empty());
}

TEST_CASE("with PIPELINING: MAIL, every RCPT and DATA in one group", "[outbound][client]") {
    FakeServer server([&](Peer& p) {
        p.greet({"PIPELINING", "8BITMIME"});
        // The four commands must all arrive before any reply is sent.
        for (int i = 0; i < 4; i++) {
            if (p.line(2000).empty()) server.note("command " + std::to_string(i) + " missing");
        }
        p.send("250 2.1.0 ok\r\n250 2.1.5 ok\r\n451 4.2.1 mailbox busy\r\n354 go\r\n");
        p.until("\r\n.\r\n");
        p.send("250 2.0.0 done\r\n");
        finish_with_quit(p);
    });
    auto results = deliver(server, options(), {message("Hi\r\n")});
    REQUIRE(results.size() == 1);
    CHECK(server.transcript() ==
          "EHLO client.test\r\n"
          "MAIL FROM:<sender@local.test>\r\nRCPT TO:<a@remote.test>\r\nRCPT TO:<b@remote.test>\r\nDATA\r\n"
          "Hi\r\n.\r\n"
          "QUIT\r\n");
    CHECK(server.notes().empty());
    CHECK(outcomes(results[0]) == std::vector<Outcome>{Outcome::delivered, Outcome::temporary});
    CHECK(results[0].recipients[1].reply == "451 4.2.1 mailbox busy");
}

TEST_CASE("with CHUNKING: BDAT with the exact bytes, in chunks", "[outbound][client]") {
    std::string data = "A: b\r\n\r\n.dot\nbare";   // 17 octets, sent as they are
    FakeServer server([&](Peer& p) {
        p.greet({"PIPELINING", "CHUNKING", "8BITMIME"});
        p.line();
        p.line();
        p.send("250 ok\r\n250 ok\r\n");
        p.line();
        p.bytes(8);
        if (!p.quiet()) server.note("second chunk before the first reply");
        p.send("250 2.0.0 8 octets\r\n");
        p.line();
        p.bytes(8);
        p.send("250 2.0.0 16 octets\r\n");
        p.line();
        p.bytes(1);
        p.send("250 2.0.0 message accepted\r\n");
        finish_with_quit(p);
    });
    auto opts = options();
    opts.chunk_size = 8;
    auto results = deliver(server, opts, {message(data, {"a@remote.test"})});
    REQUIRE(results.size() == 1);
    CHECK(server.transcript() ==
          "EHLO client.test\r\n"
          "MAIL FROM:<sender@local.test>\r\nRCPT TO:<a@remote.test>\r\n"
          "BDAT 8\r\nA: b\r\n\r\n"
          "BDAT 8\r\n.dot\nbar"
          "BDAT 1 LAST\r\ne"
          "QUIT\r\n");
    CHECK(server.notes().empty());
    CHECK(outcomes(results[0]) == std::vector<Outcome>{Outcome::delivered});
    CHECK(results[0].recipients[0].reply == "250 2.0.0 message accepted");
}

TEST_CASE("EHLO refused: HELO, and an 8-bit message bounces without 8BITMIME", "[outbound][client]") {
    FakeServer server([&](Peer& p) {
        p.send("220 old.test SMTP\r\n");
        p.line();
        p.send("502 5.5.1 what is EHLO\r\n");
        p.line();
        p.send("250 old.test\r\n");
        finish_with_quit(p);
    });
    auto results = deliver(server, options(), {message("Subject: caf\xc3\xa9\r\n\r\nx\r\n", {"a@remote.test"})});
    REQUIRE(results.size() == 1);
    CHECK(server.transcript() == "EHLO client.test\r\nHELO client.test\r\nQUIT\r\n");
    auto& r = results[0].recipients[0];
    CHECK(r.outcome == Outcome::permanent);
    CHECK_FALSE(r.remote);
    CHECK(r.reply.rfind("554 5.6.3 message has 8-bit content", 0) == 0);
    CHECK(r.reply.find("8BITMIME") != std::string::npos);
    CHECK(results[0].reusable);
}

TEST_CASE("HELO without ESMTP still delivers a 7-bit message", "[outbound][client]") {
    FakeServer server([&](Peer& p) {
        p.send("220 old.test SMTP\r\n");
        p.line();
        p.send("500 unrecognised\r\n");
        p.line();
        p.send("250 old.test\r\n");
        p.line();
        p.send("250 ok\r\n");
        p.line();
        p.send("250 ok\r\n");
        p.line();
        p.send("354 go\r\n");
        p.until("\r\n.\r\n");
        p.send("250 ok\r\n");
        finish_with_quit(p);
    });
    auto results = deliver(server, options(), {message("x\r\n", {"a@remote.test"})});
    REQUIRE(results.size() == 1);
    CHECK(server.transcript() ==
          "EHLO client.test\r\nHELO client.test\r\nMAIL FROM:<sender@local.test>\r\nRCPT TO:<a@remote.test>\r\n"
          "DATA\r\nx\r\n.\r\nQUIT\r\n");
    CHECK(outcomes(results[0]) == std::vector<Outcome>{Outcome::delivered});
}

TEST_CASE("SIZE, 8BITMIME and SMTPUTF8 shape the MAIL command or stop it", "[outbound][client]") {
    SECTION("too big for the announced SIZE: bounced, MAIL never sent") {
        FakeServer server([&](Peer& p) {
            p.greet({"SIZE 10"});
            finish_with_quit(p);
        });
        auto results = deliver(server, options(), {message(std::string(100, 'x'), {"a@remote.test"})});
        REQUIRE(results.size() == 1);
        CHECK(server.transcript() == "EHLO client.test\r\nQUIT\r\n");
        CHECK(results[0].recipients[0].outcome == Outcome::permanent);
        CHECK(results[0].recipients[0].reply.rfind("552 5.3.4 message size 100 exceeds the limit of 10", 0) == 0);
    }
    SECTION("a UTF-8 address needs SMTPUTF8") {
        FakeServer server([&](Peer& p) {
            p.greet({"8BITMIME"});
            finish_with_quit(p);
        });
        auto results = deliver(server, options(), {message("x\r\n", {"\xd0\xb8@remote.test"})});
        REQUIRE(results.size() == 1);
        CHECK(server.transcript() == "EHLO client.test\r\nQUIT\r\n");
        CHECK(results[0].recipients[0].outcome == Outcome::permanent);
        CHECK(results[0].recipients[0].reply.rfind("553 5.6.7", 0) == 0);
    }
    SECTION("with the extensions, the parameters are given") {
        FakeServer server([&](Peer& p) {
            p.greet({"SIZE 1000", "8BITMIME", "SMTPUTF8", "PIPELINING"});
            p.line();
            p.line();
            p.line();
            p.send("250 ok\r\n250 ok\r\n354 go\r\n");
            p.until("\r\n.\r\n");
            p.send("250 ok\r\n");
            finish_with_quit(p);
        });
        auto results = deliver(server, options(), {message("\xc3\xa9\r\n", {"\xd0\xb8@remote.test"})});
        REQUIRE(results.size() == 1);
        CHECK(server.transcript() ==
              "EHLO client.test\r\n"
              "MAIL FROM:<sender@local.test> SIZE=4 BODY=8BITMIME SMTPUTF8\r\n"
              "RCPT TO:<\xd0\xb8@remote.test>\r\nDATA\r\n\xc3\xa9\r\n.\r\nQUIT\r\n");
        CHECK(results[0].recipients[0].outcome == Outcome::delivered);
    }
}

TEST_CASE("a temporary MAIL refusal, then RSET and the same session again", "[outbound][client]") {
    FakeServer server([&](Peer& p) {
        p.greet({"8BITMIME"});
        p.line();
        p.send("451 4.3.0 try again\r\n");
        p.line();   // RSET
        p.send("250 2.0.0 ok\r\n");
        p.line();
        p.send("250 ok\r\n");
        p.line();
        p.send("250 ok\r\n");
        p.line();
        p.send("354 go\r\n");
        p.until("\r\n.\r\n");
        p.send("250 2.0.0 second time lucky\r\n");
        finish_with_quit(p);
    });
    auto first = message("one\r\n", {"a@remote.test"});
    auto second = message("two\r\n", {"a@remote.test"});
    second.queue_id = "q2";
    auto results = deliver(server, options(), {first, second});
    REQUIRE(results.size() == 2);
    CHECK(server.transcript() ==
          "EHLO client.test\r\nMAIL FROM:<sender@local.test>\r\n"
          "RSET\r\nMAIL FROM:<sender@local.test>\r\nRCPT TO:<a@remote.test>\r\nDATA\r\ntwo\r\n.\r\nQUIT\r\n");
    CHECK(results[0].recipients[0].outcome == Outcome::temporary);
    CHECK(results[0].recipients[0].reply == "451 4.3.0 try again");
    CHECK(results[0].recipients[0].remote);
    CHECK(results[0].reusable);
    CHECK(results[1].recipients[0].outcome == Outcome::delivered);
    CHECK(results[1].recipients[0].reply == "250 2.0.0 second time lucky");
}

TEST_CASE("pipelined MAIL refusal: recipients carry the MAIL reply", "[outbound][client]") {
    FakeServer server([&](Peer& p) {
        p.greet({"PIPELINING"});
        for (int i = 0; i < 4; i++) p.line();
        p.send("550 5.7.1 sender rejected\r\n503 5.5.1 need MAIL\r\n503 5.5.1 need MAIL\r\n503 5.5.1 need RCPT\r\n");
        finish_with_quit(p);
    });
    auto results = deliver(server, options(), {message("x\r\n")});
    REQUIRE(results.size() == 1);
    // No data after the refused DATA: QUIT comes next.
    CHECK(server.transcript() ==
          "EHLO client.test\r\nMAIL FROM:<sender@local.test>\r\nRCPT TO:<a@remote.test>\r\n"
          "RCPT TO:<b@remote.test>\r\nDATA\r\nQUIT\r\n");
    CHECK(outcomes(results[0]) == std::vector<Outcome>{Outcome::permanent, Outcome::permanent});
    CHECK(results[0].recipients[1].reply == "550 5.7.1 sender rejected");
    CHECK(results[0].reusable);
}

TEST_CASE("no recipient accepted: no data goes out", "[outbound][client]") {
    SECTION("without PIPELINING DATA is not even sent") {
        FakeServer server([&](Peer& p) {
            p.greet({});
            p.line();
            p.send("250 ok\r\n");
            p.line();
            p.send("550 5.1.1 unknown\r\n");
            finish_with_quit(p);
        });
        auto results = deliver(server, options(), {message("x\r\n", {"a@remote.test"})});
        REQUIRE(results.size() == 1);
        CHECK(server.transcript() == "EHLO client.test\r\nMAIL FROM:<sender@local.test>\r\nRCPT TO:<a@remote.test>\r\nQUIT\r\n");
        CHECK(results[0].recipients[0].outcome == Outcome::permanent);
    }
    SECTION("a pipelined DATA answered with 354 gets an empty message") {
        FakeServer server([&](Peer& p) {
            p.greet({"PIPELINING"});
            for (int i = 0; i < 3; i++) p.line();
            p.send("250 ok\r\n550 5.1.1 unknown\r\n354 go anyway\r\n");
            p.line();
            p.send("554 5.5.1 no valid recipients\r\n");
            finish_with_quit(p);
        });
        auto results = deliver(server, options(), {message("secret\r\n", {"a@remote.test"})});
        REQUIRE(results.size() == 1);
        CHECK(server.transcript() ==
              "EHLO client.test\r\nMAIL FROM:<sender@local.test>\r\nRCPT TO:<a@remote.test>\r\nDATA\r\n.\r\nQUIT\r\n");
        CHECK(results[0].recipients[0].outcome == Outcome::permanent);
        CHECK(results[0].recipients[0].reply == "550 5.1.1 unknown");
    }
}

TEST_CASE("the final reply decides for every accepted recipient", "[outbound][client]") {
    FakeServer server([&](Peer& p) {
        p.greet({"PIPELINING"});
        for (int i = 0; i < 4; i++) p.line();
        p.send("250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n");
        p.until("\r\n.\r\n");
        p.send("554-5.7.1 message refused\r\n554 5.7.1 as spam\r\n");
        finish_with_quit(p);
    });
    auto results = deliver(server, options(), {message("x\r\n")});
    REQUIRE(results.size() == 1);
    CHECK(outcomes(results[0]) == std::vector<Outcome>{Outcome::permanent, Outcome::permanent});
    CHECK(results[0].recipients[0].reply == "554 5.7.1 message refused 5.7.1 as spam");
}

TEST_CASE("session failures leave the recipients to be retried", "[outbound][client]") {
    SECTION("a 554 greeting") {
        FakeServer server([&](Peer& p) {
            p.send("554 5.7.1 go away\r\n");
            p.quiet(500);
        });
        auto results = deliver(server, options(), {message("x\r\n")});
        REQUIRE(results.size() == 1);
        CHECK(outcomes(results[0]) == std::vector<Outcome>{Outcome::temporary, Outcome::temporary});
        CHECK(results[0].session_error == "refused at the greeting: 554 5.7.1 go away");
        CHECK(results[0].recipients[0].reply == results[0].session_error);
        CHECK_FALSE(results[0].reusable);
    }
    SECTION("the connection drops in the middle of DATA") {
        FakeServer server([&](Peer& p) {
            p.greet({"PIPELINING"});
            for (int i = 0; i < 3; i++) p.line();
            p.send("250 ok\r\n250 ok\r\n354 go\r\n");
            p.line();
            p.close();
        });
        auto results = deliver(server, options(), {message(std::string(300000, 'x') + "\r\n", {"a@remote.test"})});
        REQUIRE(results.size() == 1);
        CHECK(results[0].recipients[0].outcome == Outcome::temporary);
        CHECK_FALSE(results[0].session_error.empty());
        CHECK_FALSE(results[0].reusable);
    }
    SECTION("no answer: the reply timeout") {
        FakeServer server([&](Peer& p) {
            p.send("220 mx.test ESMTP\r\n");
            p.line();
            p.quiet(1500);   // never answers EHLO
        });
        auto opts = options();
        opts.timeouts.command = 300ms;
        auto results = deliver(server, opts, {message("x\r\n", {"a@remote.test"})});
        REQUIRE(results.size() == 1);
        CHECK(results[0].recipients[0].outcome == Outcome::temporary);
        CHECK(results[0].session_error == "timeout waiting for the reply to EHLO");
    }
    SECTION("no answer to the end of data: its own timeout") {
        FakeServer server([&](Peer& p) {
            p.greet({"PIPELINING"});
            for (int i = 0; i < 3; i++) p.line();
            p.send("250 ok\r\n250 ok\r\n354 go\r\n");
            p.until("\r\n.\r\n");
            p.quiet(1500);
        });
        auto opts = options();
        opts.timeouts.data_final = 300ms;
        // The server stays silent for 1.5 s, longer than this timeout and
        // shorter than the others (3 s): only this timer can end it.
        auto results = deliver(server, opts, {message("x\r\n", {"a@remote.test"})});
        REQUIRE(results.size() == 1);
        CHECK(results[0].recipients[0].outcome == Outcome::temporary);
        CHECK(results[0].session_error == "timeout waiting for the reply to the end of data");
    }
    SECTION("a 421 to RCPT ends the session") {
        FakeServer server([&](Peer& p) {
            p.greet({});
            p.line();
            p.send("250 ok\r\n");
            p.line();
            p.send("250 ok\r\n");
            p.line();
            p.send("421 4.3.2 shutting down\r\n");
            p.quiet(300);
        });
        auto results = deliver(server, options(), {message("x\r\n")});
        REQUIRE(results.size() == 1);
        CHECK(outcomes(results[0]) == std::vector<Outcome>{Outcome::temporary, Outcome::temporary});
        CHECK(results[0].recipients[1].reply == "421 4.3.2 shutting down");
        CHECK_FALSE(results[0].reusable);
    }
    SECTION("a malformed reply") {
        FakeServer server([&](Peer& p) {
            p.send("220 mx.test\r\n");
            p.line();
            p.send("hello there\r\n");
            p.quiet(300);
        });
        auto results = deliver(server, options(), {message("x\r\n", {"a@remote.test"})});
        REQUIRE(results.size() == 1);
        CHECK(results[0].session_error.rfind("protocol error: malformed reply line", 0) == 0);
    }
}

TEST_CASE("a line break in an address never reaches the wire", "[outbound][client]") {
    FakeServer server([&](Peer& p) {
        p.greet({});
        p.line();
        p.send("250 ok\r\n");
        p.line();
        p.send("250 ok\r\n");
        p.line();
        p.send("354 go\r\n");
        p.until("\r\n.\r\n");
        p.send("250 ok\r\n");
        finish_with_quit(p);
    });
    auto results = deliver(server, options(), {message("x\r\n", {"evil@x>\r\nRSET\r\nRCPT TO:<victim@y", "ok@remote.test"})});
    REQUIRE(results.size() == 1);
    CHECK(server.transcript().find("victim") == std::string::npos);
    CHECK(outcomes(results[0]) == std::vector<Outcome>{Outcome::permanent, Outcome::delivered});
}

TEST_CASE("STARTTLS when offered, then EHLO again and AUTH PLAIN", "[outbound][client]") {
    test::TestCert cert;
    FakeServer server([&](Peer& p) {
        p.greet({"PIPELINING", "STARTTLS", "AUTH PLAIN LOGIN"});
        p.line();
        p.send("220 2.0.0 go ahead\r\n");
        if (!p.start_tls(cert.cert, cert.key)) {
            server.note("handshake failed");
            return;
        }
        p.line();
        p.reply_ehlo({"PIPELINING", "AUTH PLAIN LOGIN"});
        p.line();
        p.send("235 2.7.0 ok\r\n");
        for (int i = 0; i < 3; i++) p.line();
        p.send("250 ok\r\n250 ok\r\n354 go\r\n");
        p.until("\r\n.\r\n");
        p.send("250 ok\r\n");
        finish_with_quit(p);
    });
    auto opts = options();
    opts.tls = net::TlsContext::client();
    opts.auth = RelayCredentials{"relayuser", "s3cret"};
    auto results = deliver(server, opts, {message("x\r\n", {"a@remote.test"})});
    REQUIRE(results.size() == 1);
    CHECK(server.notes().empty());
    CHECK(server.transcript() ==
          "EHLO client.test\r\nSTARTTLS\r\n<TLS>"
          "EHLO client.test\r\n"
          "AUTH PLAIN AHJlbGF5dXNlcgBzM2NyZXQ=\r\n"
          "MAIL FROM:<sender@local.test>\r\nRCPT TO:<a@remote.test>\r\nDATA\r\nx\r\n.\r\nQUIT\r\n");
    CHECK(results[0].recipients[0].outcome == Outcome::delivered);
    CHECK(results[0].tls.rfind("TLSv1.", 0) == 0);
    CHECK_FALSE(results[0].tls_verified);   // self-signed: used anyway, reported
}

TEST_CASE("AUTH is never sent without TLS", "[outbound][client]") {
    FakeServer server([&](Peer& p) {
        p.greet({"AUTH PLAIN"});
        p.quiet(300);
    });
    auto opts = options();
    opts.tls = net::TlsContext::client();
    opts.auth = RelayCredentials{"relayuser", "s3cret"};
    auto results = deliver(server, opts, {message("x\r\n", {"a@remote.test"})});
    REQUIRE(results.size() == 1);
    CHECK(server.transcript() == "EHLO client.test\r\n");
    CHECK(results[0].recipients[0].outcome == Outcome::temporary);
    CHECK(results[0].session_error.find("refusing to send the AUTH password") != std::string::npos);
}

TEST_CASE("a refused STARTTLS is not fatal; a refused AUTH is", "[outbound][client]") {
    SECTION("STARTTLS refused: the mail goes in the clear") {
        FakeServer server([&](Peer& p) {
            p.greet({"STARTTLS"});
            p.line();
            p.send("454 4.7.0 TLS not available\r\n");
            p.line();
            p.send("250 ok\r\n");
            p.line();
            p.send("250 ok\r\n");
            p.line();
            p.send("354 go\r\n");
            p.until("\r\n.\r\n");
            p.send("250 ok\r\n");
            finish_with_quit(p);
        });
        auto opts = options();
        opts.tls = net::TlsContext::client();
        auto results = deliver(server, opts, {message("x\r\n", {"a@remote.test"})});
        REQUIRE(results.size() == 1);
        CHECK(server.transcript().rfind("EHLO client.test\r\nSTARTTLS\r\nMAIL FROM:", 0) == 0);
        CHECK(results[0].recipients[0].outcome == Outcome::delivered);
        CHECK(results[0].tls.empty());
    }
    SECTION("AUTH refused") {
        test::TestCert cert;
        FakeServer server([&](Peer& p) {
            p.greet({"STARTTLS"});
            p.line();
            p.send("220 go\r\n");
            if (!p.start_tls(cert.cert, cert.key)) return;
            p.line();
            p.reply_ehlo({"AUTH PLAIN"});
            p.line();
            p.send("535 5.7.8 bad credentials\r\n");
            p.quiet(300);
        });
        auto opts = options();
        opts.tls = net::TlsContext::client();
        opts.auth = RelayCredentials{"u", "p"};
        auto results = deliver(server, opts, {message("x\r\n", {"a@remote.test"})});
        REQUIRE(results.size() == 1);
        CHECK(results[0].recipients[0].outcome == Outcome::temporary);
        CHECK(results[0].session_error == "authentication failed: 535 5.7.8 bad credentials");
    }
}

TEST_CASE("large messages stream in blocks", "[outbound][client]") {
    std::string body;
    for (int i = 0; i < 40000; i++) body += (i % 7 == 0 ? ".dotted line " : "line ") + std::to_string(i) + "\r\n";
    FakeServer server([&](Peer& p) {
        p.greet({"PIPELINING", "SIZE 100000000"});
        for (int i = 0; i < 3; i++) p.line();
        p.send("250 ok\r\n250 ok\r\n354 go\r\n");
        p.until("\r\n.\r\n", 10000);
        p.send("250 ok\r\n");
        finish_with_quit(p);
    });
    auto opts = options();
    opts.data_block = 4096;
    auto results = deliver(server, opts, {message(body, {"a@remote.test"})});
    REQUIRE(results.size() == 1);
    CHECK(results[0].recipients[0].outcome == Outcome::delivered);
    std::string t = server.transcript();
    std::string expected_data = encode_data(body);
    CHECK(t.find("DATA\r\n" + expected_data + "QUIT\r\n") != std::string::npos);
}

TEST_CASE("send() on a session that is gone reports instead of hanging", "[outbound][client]") {
    FakeServer server([&](Peer& p) {
        p.send("421 4.3.2 busy\r\n");
        p.quiet(200);
    });
    net::EventLoop loop;
    SmtpClient::Ref client;
    std::vector<TransactionResult> results;
    start_client(loop, server, client, message("x\r\n", {"a@remote.test"}), [&](TransactionResult r) {
        results.push_back(std::move(r));
        bool called_inside = false;
        client.send(message("y\r\n", {"b@remote.test"}), [&](TransactionResult again) {
            results.push_back(std::move(again));
            loop.stop();
        });
        CHECK_FALSE(called_inside);
        CHECK(results.size() == 1);   // not from inside send()
    });
    auto deadline = loop.start_timer(5s, [&] { loop.stop(); });
    loop.run();
    REQUIRE(results.size() == 2);
    CHECK_FALSE(results[0].reusable);
    CHECK(results[1].recipients.size() == 1);
    CHECK(results[1].recipients[0].outcome == Outcome::temporary);
    CHECK(results[1].session_error == "session is not reusable");
    CHECK_FALSE(client.reusable());
}

TEST_CASE("the client lives as long as its connection; a Ref then reports instead", "[outbound][client]") {
    FakeServer server([&](Peer& p) {
        p.greet({"8BITMIME"});
        p.line();
        p.send("250 2.1.0 ok\r\n");
        p.line();
        p.send("250 2.1.5 ok\r\n");
        p.line();
        p.send("354 go ahead\r\n");
        p.until("\r\n.\r\n");
        p.send("250 2.0.0 queued\r\n");
        finish_with_quit(p);
    });
    net::EventLoop loop;
    SmtpClient::Ref client;
    std::vector<TransactionResult> results;
    start_client(loop, server, client, message("x\r\n", {"a@remote.test"}), [&](TransactionResult r) {
        results.push_back(std::move(r));
        client.quit();
    });
    auto deadline = loop.start_timer(5s, [&] { loop.stop(); });
    // The QUIT is answered, the connection closes and is freed, and the
    // client with it.
    auto poll = loop.start_repeating(5ms, [&] {
        if (server.finished() && !client.alive()) loop.stop();
    });
    loop.run();
    REQUIRE(results.size() == 1);
    CHECK(results[0].recipients[0].outcome == Outcome::delivered);
    CHECK(server.transcript().find("QUIT\r\n") != std::string::npos);
    REQUIRE_FALSE(client.alive());
    CHECK_FALSE(client.reusable());
    client.quit();   // nothing left to quit: no effect
    poll.reset();

    bool inside = true;
    client.send(message("y\r\n", {"b@remote.test"}), [&](TransactionResult r) {
        CHECK_FALSE(inside);   // never from inside send()
        results.push_back(std::move(r));
        loop.stop();
    });
    inside = false;
    auto second_deadline = loop.start_timer(5s, [&] { loop.stop(); });
    loop.run();
    REQUIRE(results.size() == 2);
    const TransactionResult& unsent = results[1];
    CHECK(outcomes(unsent) == std::vector<Outcome>{Outcome::temporary});
    CHECK(unsent.session_error == "session is not reusable");
    CHECK_FALSE(unsent.reusable);
}
