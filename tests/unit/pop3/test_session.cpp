// The POP3 session end to end on 127.0.0.1: a real loop, listener and
// store; the client is a blocking socket on the test thread.
#include <catch2/catch.hpp>

#include <algorithm>

#include "common/util/strings.hpp"
#include "tests/unit/pop3/pop3_test_client.hpp"

using namespace pochta;
using namespace pochta::pop3::test;

namespace {

bool starts(const std::string& s, std::string_view prefix) { return s.rfind(prefix, 0) == 0; }

// The AUTH PLAIN message "authzid NUL user NUL password", base64-encoded.
std::string plain(const std::string& authzid, const std::string& user, const std::string& pass) {
    std::string message = authzid;
    message += '\0';
    message += user;
    message += '\0';
    message += pass;
    return base64_encode(message);
}

std::string msg(const std::string& tag, const std::string& body = "Hello.\r\n") {
    return "Subject: " + tag + "\r\n\r\n" + body;
}

}  // namespace

TEST_CASE("greeting, CAPA and commands before login", "[session]") {
    Fixture f;
    f.start();
    Client c(f.port);
    REQUIRE(c.connected());
    CHECK(starts(c.line(), "+OK pop.example.test"));
    REQUIRE(c.cmd("CAPA") == "+OK Capability list follows");
    std::string caps = c.multiline();
    for (const char* cap : {"TOP\r\n", "USER\r\n", "UIDL\r\n", "RESP-CODES\r\n", "AUTH-RESP-CODE\r\n", "PIPELINING\r\n",
                            "SASL PLAIN LOGIN\r\n", "IMPLEMENTATION pochta\r\n"})
        CHECK(caps.find(cap) != std::string::npos);
    CHECK(caps.find("STLS") == std::string::npos);  // no TLS context here
    CHECK(starts(c.cmd("STAT"), "-ERR"));
    CHECK(starts(c.cmd("RETR 1"), "-ERR"));
    CHECK(starts(c.cmd("PASS secret"), "-ERR"));  // no USER yet
    CHECK(starts(c.cmd("APOP alice 0123456789abcdef"), "-ERR"));
    CHECK(c.cmd("XYZZY") == "-ERR unknown command XYZZY");
    CHECK(starts(c.cmd("STLS"), "-ERR STLS not available"));
    CHECK(starts(c.cmd("NOOP"), "-ERR"));
    CHECK(starts(c.cmd("QUIT"), "+OK"));
    CHECK(c.closed());
}

TEST_CASE("a whole session: STAT, LIST, UIDL, RETR, TOP, DELE, RSET, QUIT", "[session]") {
    Fixture f;
    f.deliver(alice, msg("one"));
    f.deliver(alice, "Subject: two\n\n.dot line\nbare lf\n");
    f.deliver(alice, "Subject: three\r\n\r\nno final newline");
    f.deliver(bob, msg("bob's"));
    auto stored = f.inbox(alice);
    REQUIRE(stored.size() == 3);
    f.start();
    Client c(f.port);
    c.line();
    CHECK(c.cmd("USER " + alice) == "+OK send PASS");
    std::string sizes[3] = {std::to_string(msg("one").size()),
                            std::to_string(std::string("Subject: two\r\n\r\n.dot line\r\nbare lf\r\n").size()),
                            std::to_string(std::string("Subject: three\r\n\r\nno final newline\r\n").size())};
    uint64_t total = 0;
    for (auto& s : sizes) total += std::stoull(s);
    CHECK(c.cmd("PASS " + password) == "+OK maildrop has 3 messages (" + std::to_string(total) + " octets)");
    CHECK(c.cmd("STAT") == "+OK 3 " + std::to_string(total));
    REQUIRE(starts(c.cmd("LIST"), "+OK 3 messages"));
    CHECK(c.multiline() == "1 " + sizes[0] + "\r\n2 " + sizes[1] + "\r\n3 " + sizes[2] + "\r\n");
    CHECK(c.cmd("LIST 2") == "+OK 2 " + sizes[1]);
    CHECK(starts(c.cmd("LIST 4"), "-ERR no such message"));
    CHECK(starts(c.cmd("LIST 0"), "-ERR no such message"));
    REQUIRE(starts(c.cmd("UIDL"), "+OK"));
    std::string uidls = c.multiline();
    CHECK(uidls == "1 " + stored[0].pop3_uidl + "\r\n2 " + stored[1].pop3_uidl + "\r\n3 " + stored[2].pop3_uidl + "\r\n");
    CHECK(c.cmd("UIDL 3") == "+OK 3 " + stored[2].pop3_uidl);

    // RETR: exact wire bytes, dot-stuffed, CRLF, the last line ended.
    REQUIRE(c.cmd("RETR 2") == "+OK " + sizes[1] + " octets");
    CHECK(c.raw(47) == "Subject: two\r\n\r\n..dot line\r\nbare lf\r\n.\r\n");
    REQUIRE(c.cmd("RETR 3") == "+OK " + sizes[2] + " octets");
    CHECK(c.multiline() == "Subject: three\r\n\r\nno final newline\r\n");
    REQUIRE(starts(c.cmd("TOP 2 1"), "+OK"));
    CHECK(c.multiline() == "Subject: two\r\n\r\n.dot line\r\n");
    REQUIRE(starts(c.cmd("TOP 1 0"), "+OK"));
    CHECK(c.multiline() == "Subject: one\r\n\r\n");

    CHECK(c.cmd("DELE 1") == "+OK message 1 deleted");
    CHECK(c.cmd("DELE 1") == "-ERR message 1 already deleted");
    CHECK(starts(c.cmd("RETR 1"), "-ERR message 1 already deleted"));
    CHECK(starts(c.cmd("LIST 1"), "-ERR"));
    CHECK(c.cmd("STAT") == "+OK 2 " + std::to_string(total - std::stoull(sizes[0])));
    REQUIRE(starts(c.cmd("LIST"), "+OK 2 messages"));
    CHECK(c.multiline() == "2 " + sizes[1] + "\r\n3 " + sizes[2] + "\r\n");  // numbers do not shift
    CHECK(starts(c.cmd("RSET"), "+OK maildrop has 3 messages"));
    CHECK(c.cmd("DELE 3") == "+OK message 3 deleted");
    CHECK(c.cmd("DELE 2") == "+OK message 2 deleted");
    CHECK(c.cmd("NOOP") == "+OK");
    CHECK(starts(c.cmd("USER x"), "-ERR"));  // wrong state
    CHECK(c.cmd("QUIT") == "+OK pop.example.test POP3 server signing off (1 messages left)");
    CHECK(c.closed());

    auto left = f.inbox(alice);
    REQUIRE(left.size() == 1);
    CHECK(left[0].uid == stored[0].uid);
    CHECK((left[0].flags & store::flag_seen) == 0);  // TOP does not set \Seen
    CHECK(f.inbox(bob).size() == 1);
}

TEST_CASE("RETR sets \\Seen; a dropped connection deletes nothing", "[session]") {
    Fixture f;
    f.deliver(alice, msg("a"));
    f.deliver(alice, msg("b"));
    f.start();
    {
        auto c = f.login();
        REQUIRE(starts(c->cmd("RETR 1"), "+OK"));
        c->multiline();
        CHECK(starts(c->cmd("DELE 1"), "+OK"));
        CHECK(starts(c->cmd("DELE 2"), "+OK"));
        c->close();  // no QUIT
    }
    // The lock goes with the connection: the next login works at once or very soon.
    std::string reply;
    for (int i = 0; i < 50; i++) {
        auto c = f.login();
        reply = c->cmd("STAT");
        if (starts(reply, "+OK")) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    CHECK(reply == "+OK 2 " + std::to_string(2 * msg("a").size()));
    auto left = f.inbox(alice);
    REQUIRE(left.size() == 2);
    // \Seen is written behind the RETR reply (batched), so it may take a moment.
    for (int i = 0; i < 100 && !(left[0].flags & store::flag_seen); i++) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        left = f.inbox(alice);
    }
    CHECK((left[0].flags & store::flag_seen) != 0);
    CHECK((left[1].flags & store::flag_seen) == 0);
}

TEST_CASE("a second session for the same user gets [IN-USE]", "[session]") {
    Fixture f;
    f.deliver(alice, msg("a"));
    f.start();
    auto first = f.login();
    REQUIRE(starts(first->cmd("STAT"), "+OK 1"));
    Client second(f.port);
    second.line();
    second.cmd("USER " + alice);
    CHECK(second.cmd("PASS " + password) == "-ERR [IN-USE] maildrop is locked by another session");
    CHECK(starts(second.cmd("STAT"), "-ERR"));  // still not logged in
    auto other_user = f.login(bob);
    CHECK(starts(other_user->cmd("STAT"), "+OK 0 0"));
    CHECK(starts(first->cmd("QUIT"), "+OK"));
    CHECK(first->closed());
    // Released by QUIT: the waiting client can log in now.
    second.cmd("USER " + alice);
    CHECK(starts(second.cmd("PASS " + password), "+OK maildrop has 1 messages"));
}

TEST_CASE("failed logins get [AUTH]; AUTH PLAIN and LOGIN", "[session][auth]") {
    Fixture f;
    f.start();
    Client c(f.port);
    c.line();
    c.cmd("USER " + alice);
    CHECK(c.cmd("PASS wrong") == "-ERR [AUTH] authentication failed");
    c.cmd("USER nobody@example.test");
    CHECK(c.cmd("PASS " + password) == "-ERR [AUTH] authentication failed");
    CHECK(f.throttle.failures("127.0.0.1") >= 2);
    // Acting as another user is refused (at once: not a password guess).
    CHECK(c.cmd("AUTH PLAIN " + plain(bob, alice, password)) ==
          "-ERR [AUTH] authentication failed");
    CHECK(c.cmd("AUTH PLAIN !!!") == "-ERR cannot decode AUTH PLAIN response");
    CHECK(c.cmd("AUTH CRAM-MD5") == "-ERR unsupported authentication mechanism");
    CHECK(c.cmd("AUTH PLAIN") == "+ ");
    CHECK(c.cmd("*") == "-ERR authentication cancelled");
    CHECK(c.cmd("AUTH LOGIN") == "+ VXNlcm5hbWU6");
    CHECK(c.cmd(base64_encode(alice)) == "+ UGFzc3dvcmQ6");
    CHECK(starts(c.cmd(base64_encode(password)), "+OK maildrop has 0 messages"));
    CHECK(starts(c.cmd("AUTH PLAIN"), "-ERR"));  // already logged in

    Client d(f.port);
    d.line();
    CHECK(d.cmd("AUTH") == "+OK");
    CHECK(d.multiline() == "PLAIN\r\nLOGIN\r\n");
    CHECK(d.cmd("AUTH PLAIN") == "+ ");
    CHECK(starts(d.cmd(plain("", bob, password)), "+OK maildrop"));
}

TEST_CASE("credentials are refused without TLS unless allowed", "[session][auth]") {
    Fixture f;
    f.ctx.plaintext_auth = false;
    f.start();
    Client c(f.port);
    c.line();
    REQUIRE(c.cmd("CAPA") == "+OK Capability list follows");
    std::string caps = c.multiline();
    CHECK(caps.find("USER") == std::string::npos);
    CHECK(caps.find("SASL") == std::string::npos);
    CHECK(starts(c.cmd("USER " + alice), "-ERR [AUTH] Plaintext authentication disallowed"));
    CHECK(starts(c.cmd("PASS " + password), "-ERR [AUTH] Plaintext authentication disallowed"));
    CHECK(starts(c.cmd("AUTH PLAIN " + plain("", alice, password)),
                 "-ERR [AUTH] Plaintext authentication disallowed"));
    CHECK(starts(c.cmd("STAT"), "-ERR"));
}

TEST_CASE("bad input: long lines, bad arguments, too many errors", "[session]") {
    Fixture f;
    f.deliver(alice, msg("a"));
    f.start();
    auto c = f.login();
    CHECK(c->cmd("NOOP " + std::string(300, 'x')) == "-ERR line too long");
    CHECK(c->cmd("NOOP") == "+OK");  // the session goes on
    CHECK(c->cmd("RETR") == "-ERR missing argument");
    CHECK(c->cmd("RETR x") == "-ERR invalid message number");
    CHECK(c->cmd("TOP 1") == "-ERR missing argument");
    CHECK(c->cmd("STAT 1") == "-ERR too many arguments");
    CHECK(starts(c->cmd("RETR 99999999999"), "-ERR no such message"));
    // An endless line without LF is dropped without buffering it all.
    c->send(std::string(100000, 'A'));
    c->send("\r\n");
    CHECK(c->line() == "-ERR line too long");
    CHECK(c->cmd("STAT") == "+OK 1 " + std::to_string(msg("a").size()));
    for (int i = 0; i < 30; i++) c->send("BOGUS\r\n");
    std::string last;
    for (;;) {
        std::string l = c->line();
        if (l == "<eof>" || l == "<timeout>") break;
        last = l;
    }
    CHECK(last == "-ERR too many errors, closing");
}

TEST_CASE("pipelined commands are answered in order", "[session]") {
    Fixture f;
    for (int i = 0; i < 20; i++) f.deliver(alice, msg("p" + std::to_string(i)));
    f.start();
    auto c = f.login();
    std::string batch;
    for (int i = 1; i <= 20; i++) batch += "RETR " + std::to_string(i) + "\r\n";
    batch += "STAT\r\nQUIT\r\n";
    c->send(batch);
    for (int i = 1; i <= 20; i++) {
        REQUIRE(starts(c->line(), "+OK"));
        CHECK(c->multiline() == msg("p" + std::to_string(i - 1)));
    }
    CHECK(starts(c->line(), "+OK 20 "));
    CHECK(starts(c->line(), "+OK pop.example.test POP3 server signing off (20 messages left)"));
    for (const auto& m : f.inbox(alice)) CHECK((m.flags & store::flag_seen) != 0);
}

TEST_CASE("a message delivered during a session waits for the next one", "[session]") {
    Fixture f;
    f.deliver(alice, msg("before"));
    f.start();
    auto c = f.login();
    f.deliver(alice, msg("during"));
    CHECK(starts(c->cmd("STAT"), "+OK 1 "));
    CHECK(starts(c->cmd("RETR 2"), "-ERR no such message"));
    CHECK(starts(c->cmd("QUIT"), "+OK"));
    c->closed();
    auto d = f.login();
    CHECK(starts(d->cmd("STAT"), "+OK 2 "));
}

TEST_CASE("a large message streams byte for byte", "[session][large]") {
    Fixture f;
    std::string body;
    for (int i = 0; body.size() < 3 * 1024 * 1024; i++)
        body += (i % 5 == 0 ? "." : "") + std::string("line ") + std::to_string(i) + (i % 2 ? "\n" : "\r\n");
    std::string message = "Subject: big\n\n" + body;
    f.deliver(alice, message);
    f.start();
    auto c = f.login();
    std::string expected;
    for (size_t i = 0; i < message.size(); i++) {
        if (message[i] == '\n' && (i == 0 || message[i - 1] != '\r')) expected += '\r';
        expected += message[i];
    }
    CHECK(c->cmd("LIST 1") == "+OK 1 " + std::to_string(expected.size()));
    REQUIRE(c->cmd("RETR 1") == "+OK " + std::to_string(expected.size()) + " octets");
    CHECK(c->multiline() == expected);
    CHECK(c->cmd("NOOP") == "+OK");
}

TEST_CASE("an idle session is logged out without UPDATE", "[session]") {
    Fixture f;
    f.ctx.idle_timeout = std::chrono::milliseconds(300);
    f.deliver(alice, msg("a"));
    f.start();
    auto c = f.login();
    CHECK(starts(c->cmd("DELE 1"), "+OK"));
    CHECK(c->line(5000) == "-ERR autologout: idle for too long");
    CHECK(c->closed());
    CHECK(f.inbox(alice).size() == 1);
}

TEST_CASE("read-ahead never serves a deleted or foreign message", "[session]") {
    Fixture f;
    for (int i = 0; i < 5; i++) f.deliver(alice, msg("r" + std::to_string(i)));
    f.start();
    auto c = f.login();
    REQUIRE(starts(c->cmd("RETR 1"), "+OK"));
    CHECK(c->multiline() == msg("r0"));  // 2..5 are read ahead now
    CHECK(starts(c->cmd("DELE 3"), "+OK"));
    CHECK(c->cmd("RETR 3") == "-ERR message 3 already deleted");
    REQUIRE(starts(c->cmd("TOP 4 0"), "+OK"));
    CHECK(c->multiline() == "Subject: r3\r\n\r\n");
    REQUIRE(starts(c->cmd("RETR 4"), "+OK"));  // TOP used the read-ahead copy; RETR reads again
    CHECK(c->multiline() == msg("r3"));
    REQUIRE(starts(c->cmd("RETR 2"), "+OK"));
    CHECK(c->multiline() == msg("r1"));
    REQUIRE(starts(c->cmd("RETR 5"), "+OK"));
    CHECK(c->multiline() == msg("r4"));
}
