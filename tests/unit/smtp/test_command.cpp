// parse_command: every verb, every parameter, real-client quirks, garbage.
#include <catch2/catch.hpp>

#include <string>

#include "smtp/command.hpp"

using pochta::PathError;
using pochta::smtp::Body;
using pochta::smtp::Command;
using pochta::smtp::parse_command;
using pochta::smtp::Verb;

namespace {

Command ok(std::string_view line) {
    Command c = parse_command(line);
    INFO(std::string(line));
    CHECK(c.syntax_error.empty());
    CHECK_FALSE(c.unknown_parameter);
    return c;
}

Command bad(std::string_view line) {
    Command c = parse_command(line);
    INFO(std::string(line));
    CHECK_FALSE(c.syntax_error.empty());
    return c;
}

}  // namespace

TEST_CASE("verbs are case-insensitive and keep their text", "[command]") {
    struct Case {
        const char* line;
        Verb verb;
    };
    const Case cases[] = {
        {"HELO x", Verb::helo},   {"ehlo x", Verb::ehlo},     {"Mail FROM:<>", Verb::mail},
        {"rCpT TO:<a@b>", Verb::rcpt}, {"DATA", Verb::data},  {"bdat 0 last", Verb::bdat},
        {"RSET", Verb::rset},     {"noop", Verb::noop},       {"QUIT", Verb::quit},
        {"VRFY x", Verb::vrfy},   {"EXPN x", Verb::expn},     {"HELP", Verb::help},
        {"StartTLS", Verb::starttls}, {"AUTH PLAIN", Verb::auth},
    };
    for (const auto& c : cases) {
        INFO(c.line);
        Command cmd = ok(c.line);
        CHECK(cmd.verb == c.verb);
        std::string_view line = c.line;
        CHECK(cmd.verb_text == line.substr(0, line.find(' ')));
    }
}

TEST_CASE("unknown verbs", "[command]") {
    Command c = parse_command("XYZZY plugh");
    CHECK(c.verb == Verb::unknown);
    CHECK(c.verb_text == "XYZZY");
    CHECK(c.argument == "plugh");
    CHECK(c.syntax_error.empty());

    // Near misses are not verbs.
    CHECK(parse_command("EHLOO x").verb == Verb::unknown);
    CHECK(parse_command("EHL x").verb == Verb::unknown);
    CHECK(parse_command("MAIL:FROM:<a@b>").verb == Verb::unknown);
    CHECK(parse_command("DATA\tx").verb == Verb::unknown);
}

TEST_CASE("garbage lines never crash and stay printable", "[command][garbage]") {
    Command empty = parse_command("");
    CHECK(empty.verb == Verb::unknown);
    CHECK(empty.verb_text.empty());
    CHECK(empty.argument.empty());

    CHECK(parse_command("   ").verb == Verb::unknown);

    std::string nul("\0\0\0", 3);
    Command c = parse_command(nul);
    CHECK(c.verb == Verb::unknown);
    CHECK(c.verb_text == "???");

    Command eight = parse_command("\xFF\xFE\x80 \xC3\xA9");
    CHECK(eight.verb == Verb::unknown);
    CHECK(eight.verb_text == "???");

    Command injected = parse_command("FOO\r\n250 fake");
    CHECK(injected.verb_text == "FOO??250");

    Command long_verb = parse_command(std::string(10000, 'A'));
    CHECK(long_verb.verb == Verb::unknown);
    CHECK(long_verb.verb_text.size() == 32);
}

TEST_CASE("control characters in a known command are a syntax error", "[command][garbage]") {
    bad(std::string("NOOP a\0b", 8));
    bad(std::string("DATA \0", 6));
    // A NUL glued to the verb makes it another (unknown) word.
    Command glued = parse_command(std::string("DATA\0", 5));
    CHECK(glued.verb == Verb::unknown);
    CHECK(glued.verb_text == "DATA?");
    bad("EHLO host\rinjected");
    bad("HELO host\nRCPT TO:<a@b>");
    bad("MAIL FROM:<a@b>\x7f");
    bad("HELP \x01");
    // Tabs are spacing, and 8-bit is allowed (UTF-8 names).
    ok("NOOP a\tb");
    CHECK(ok("EHLO \xD0\xBF\xD1\x80\xD0\xB8.example").argument == "\xD0\xBF\xD1\x80\xD0\xB8.example");
}

TEST_CASE("leading, doubled and trailing spaces are tolerated", "[command]") {
    CHECK(ok("  NOOP").verb == Verb::noop);
    CHECK(ok("EHLO   client.example  ").argument == "client.example");
    CHECK(ok("QUIT ").verb == Verb::quit);
    CHECK(ok("DATA   ").verb == Verb::data);
}

TEST_CASE("HELO and EHLO need an argument", "[command][helo]") {
    CHECK(ok("EHLO client.example").argument == "client.example");
    CHECK(ok("HELO [192.0.2.1]").argument == "[192.0.2.1]");
    CHECK(ok("EHLO [IPv6:2001:db8::1]").argument == "[IPv6:2001:db8::1]");
    // Windows machines announce names that are not hostnames; keep them.
    CHECK(ok("EHLO DESKTOP-AB_12").argument == "DESKTOP-AB_12");
    bad("EHLO");
    bad("HELO");
    bad("EHLO   ");
}

TEST_CASE("argument-less verbs refuse an argument", "[command]") {
    for (const char* verb : {"DATA", "RSET", "QUIT", "STARTTLS"}) {
        INFO(verb);
        ok(verb);
        bad(std::string(verb) + " x");
    }
    CHECK(ok("NOOP").argument.empty());
    CHECK(ok("NOOP anything at all").argument == "anything at all");
    CHECK(ok("HELP").argument.empty());
    CHECK(ok("HELP MAIL").argument == "MAIL");
}

TEST_CASE("VRFY and EXPN keep their argument", "[command]") {
    CHECK(ok("VRFY alice").argument == "alice");
    CHECK(ok("EXPN staff list").argument == "staff list");
    bad("VRFY");
    bad("EXPN ");
}

TEST_CASE("MAIL FROM paths", "[command][mail]") {
    Command c = ok("MAIL FROM:<alice@example.org>");
    CHECK(c.path.error == PathError::none);
    CHECK(c.path.address.str() == "alice@example.org");
    CHECK_FALSE(c.mail.size);
    CHECK(c.mail.body == Body::unspecified);
    CHECK_FALSE(c.mail.smtputf8);
    CHECK(c.mail.auth.empty());

    CHECK(ok("MAIL FROM:<>").path.null_path);
    CHECK(ok("mail from:<a@b>").path.address.domain == "b");
    // Outlook: a space after the colon; others: spaces around it.
    CHECK(ok("MAIL FROM: <a@b>").path.address.local == "a");
    CHECK(ok("MAIL FROM:   <a@b>").path.address.local == "a");
    CHECK(ok("MAIL FROM : <a@b>").path.address.local == "a");
    CHECK(ok("MAIL  FROM:<a@b>").path.address.local == "a");
    // Scripts: no brackets.
    CHECK(ok("MAIL FROM:a@b").path.address.str() == "a@b");
    CHECK(ok("MAIL FROM:a@b SIZE=5").mail.size == 5u);
    // UTF-8 is parsed; the session checks SMTPUTF8.
    Command u = ok("MAIL FROM:<\xC3\xA9@b> SMTPUTF8");
    CHECK(u.path.address.utf8);
    CHECK(u.mail.smtputf8);
    CHECK(ok("MAIL FROM:<\xC3\xA9@b>").path.address.utf8);
    // Source route kept as a flag.
    Command routed = ok("MAIL FROM:<@relay:a@b>");
    CHECK(routed.path.had_source_route);
    CHECK(routed.path.address.str() == "a@b");
}

// A bad path is left in path.error for the session; syntax_error stays empty.
Command bad_path(std::string_view line, PathError expected) {
    Command c = parse_command(line);
    INFO(std::string(line));
    CHECK(c.syntax_error.empty());
    CHECK_FALSE(c.unknown_parameter);
    CHECK(c.path.error == expected);
    CHECK(c.path.address.local.empty());
    return c;
}

TEST_CASE("MAIL FROM errors", "[command][mail]") {
    // The line itself is wrong: syntax_error, and no path either.
    for (const char* line : {"MAIL", "MAIL <a@b>", "MAIL FROM<a@b>", "MAIL TO:<a@b>", "MAIL FROMX:<a@b>"}) {
        Command c = bad(line);
        CHECK(c.path.error == PathError::syntax);
    }
    CHECK(bad(std::string("MAIL FROM:<a@b>\0", 16)).path.error == PathError::syntax);
    // The path is wrong: path.error only.
    bad_path("MAIL FROM:", PathError::syntax);
    bad_path("MAIL FROM:<a@b", PathError::syntax);
    bad_path("MAIL FROM:<a..b@c>", PathError::syntax);
    bad_path("MAIL FROM:<a@b>SIZE=1", PathError::syntax);
    bad_path("MAIL FROM:<\x80@b>", PathError::syntax);
    bad_path("MAIL FROM:<Postmaster>", PathError::syntax);
    bad_path("MAIL FROM:<" + std::string(65, 'a') + "@b>", PathError::too_long);
    // Parameters after a bad path are not looked at.
    bad_path("MAIL FROM:<a@@b> XFOO SIZE=x", PathError::syntax);
}

TEST_CASE("MAIL parameters", "[command][mail][params]") {
    Command c = ok("MAIL FROM:<a@b> SIZE=12345 BODY=8BITMIME SMTPUTF8 AUTH=<>");
    CHECK(c.mail.size == 12345u);
    CHECK(c.mail.body == Body::eight_bit_mime);
    CHECK(c.mail.smtputf8);
    CHECK(c.mail.auth == "<>");

    CHECK(ok("MAIL FROM:<a@b> size=0").mail.size == 0u);
    CHECK(ok("MAIL FROM:<a@b> SIZE=9999999999999999999").mail.size == 9999999999999999999ull);
    CHECK(ok("MAIL FROM:<a@b> BODY=7BIT").mail.body == Body::seven_bit);
    CHECK(ok("MAIL FROM:<a@b> body=binarymime").mail.body == Body::binary_mime);
    CHECK(ok("MAIL FROM:<a@b> smtputf8").mail.smtputf8);
    CHECK(ok("MAIL FROM:<a@b> AUTH=alice+40example.org").mail.auth == "alice+40example.org");
    CHECK(ok("MAIL FROM:<a@b>    SIZE=1     BODY=7BIT   ").mail.body == Body::seven_bit);
    CHECK(ok("MAIL FROM:<> SIZE=1").mail.size == 1u);
    // Too many digits for 64 bits is a size over any limit (552 later), not bad syntax.
    CHECK(ok("MAIL FROM:<a@b> SIZE=99999999999999999999").mail.size == UINT64_MAX);
}

TEST_CASE("bad MAIL parameters", "[command][mail][params]") {
    const char* lines[] = {
        "MAIL FROM:<a@b> SIZE",
        "MAIL FROM:<a@b> SIZE=",
        "MAIL FROM:<a@b> SIZE=abc",
        "MAIL FROM:<a@b> SIZE=-1",
        "MAIL FROM:<a@b> SIZE=1k",
        "MAIL FROM:<a@b> SIZE=+1",
        "MAIL FROM:<a@b> BODY",
        "MAIL FROM:<a@b> BODY=8BIT",
        "MAIL FROM:<a@b> BODY=",
        "MAIL FROM:<a@b> SMTPUTF8=yes",
        "MAIL FROM:<a@b> AUTH",
        "MAIL FROM:<a@b> AUTH=",
        "MAIL FROM:<a@b> AUTH=a+4",
        "MAIL FROM:<a@b> AUTH=a+4g",
        "MAIL FROM:<a@b> AUTH=a+zz",
        "MAIL FROM:<a@b> AUTH=a\xC3\xA9",
        "MAIL FROM:<a@b> SIZE=1 SIZE=1",
        "MAIL FROM:<a@b> SIZE=1 size=2",
        "MAIL FROM:<a@b> SMTPUTF8 SMTPUTF8",
        "MAIL FROM:<a@b> BODY=7BIT body=8BITMIME",
        "MAIL FROM:<a@b> =1",
        "MAIL FROM:<a@b> -X=1",
        "MAIL FROM:<a@b> X_Y=1",
        "MAIL FROM:<a@b> X=a=b",
        "MAIL FROM:<a@b> X=1 X=2",
    };
    for (const char* line : lines) {
        Command c = bad(line);
        CHECK_FALSE(c.unknown_parameter);
        CHECK(c.path.error == PathError::none);  // the path itself was fine
    }
    // An unknown parameter next to a bad one: only the syntax error counts.
    CHECK_FALSE(bad("MAIL FROM:<a@b> XFOO SIZE=x").unknown_parameter);
    std::string many = "MAIL FROM:<a@b>";
    for (int i = 0; i < 17; ++i) many += " X" + std::to_string(i);
    bad(many);
}

TEST_CASE("unknown MAIL parameters are flagged for 555", "[command][mail][params]") {
    for (const char* line : {"MAIL FROM:<a@b> RET=HDRS", "MAIL FROM:<a@b> ENVID=x", "MAIL FROM:<a@b> XFOO",
                             "MAIL FROM:<a@b> SIZE=1 XFOO=bar BODY=7BIT"}) {
        INFO(line);
        Command c = parse_command(line);
        CHECK(c.syntax_error.empty());
        CHECK(c.unknown_parameter);
    }
}

TEST_CASE("RCPT TO", "[command][rcpt]") {
    Command c = ok("RCPT TO:<bob@example.org>");
    CHECK(c.path.address.str() == "bob@example.org");
    CHECK(ok("rcpt to: <bob@example.org>").path.address.local == "bob");
    CHECK(ok("RCPT TO : <bob@example.org>").path.address.local == "bob");
    CHECK(ok("RCPT TO:bob@example.org").path.address.local == "bob");
    CHECK(ok("RCPT TO:<\"a b\"@c>").path.address.local == "a b");

    Command null_rcpt = bad_path("RCPT TO:<>", PathError::syntax);
    CHECK(null_rcpt.path.null_path);
    bad_path("RCPT TO:", PathError::syntax);
    bad_path("RCPT TO:<a@b@c>", PathError::syntax);
    bad_path("RCPT TO:<a@" + std::string(64, 'x') + ">", PathError::too_long);
    // RFC 5321's domain-less <Postmaster> is not special-cased (see command.hpp).
    bad_path("RCPT TO:<Postmaster>", PathError::syntax);
    CHECK(ok("RCPT TO:<Postmaster@example.org>").path.address.local == "Postmaster");
    for (const char* line : {"RCPT", "RCPT FROM:<a@b>", "RCPT TO<a@b>"}) {
        Command c = bad(line);
        CHECK(c.path.error == PathError::syntax);
    }
}

TEST_CASE("RCPT parameters: none supported", "[command][rcpt][params]") {
    for (const char* line : {"RCPT TO:<a@b> NOTIFY=SUCCESS,FAILURE", "RCPT TO:<a@b> ORCPT=rfc822;a@b",
                             "RCPT TO:<a@b> XFOO"}) {
        INFO(line);
        Command c = parse_command(line);
        CHECK(c.syntax_error.empty());
        CHECK(c.unknown_parameter);
    }
    bad("RCPT TO:<a@b> NOTIFY=NEVER NOTIFY=NEVER");
    bad("RCPT TO:<a@b> =x");
    bad("RCPT TO:<a@b> X=");
}

TEST_CASE("BDAT", "[command][bdat]") {
    Command c = ok("BDAT 1000");
    CHECK(c.chunk_size == 1000u);
    CHECK_FALSE(c.last_chunk);
    c = ok("BDAT 0 LAST");
    CHECK(c.chunk_size == 0u);
    CHECK(c.last_chunk);
    CHECK(ok("bdat  42   last ").last_chunk);
    CHECK(ok("BDAT 9999999999999999999").chunk_size == 9999999999999999999ull);

    bad("BDAT");
    bad("BDAT LAST");
    bad("BDAT -1");
    bad("BDAT 1x");
    bad("BDAT 99999999999999999999");  // 20 digits
    bad("BDAT 1 FIRST");
    bad("BDAT 1 LAST x");
    bad("BDAT 1 LASTLY");
}

TEST_CASE("BDAT and SIZE numbers may have any number of leading zeros", "[command][bdat]") {
    // RFC 3030 chunk-size and RFC 1870 size-value are 1*DIGIT.
    CHECK(ok("BDAT 00000000000000000000000005").chunk_size == 5u);
    CHECK(ok("BDAT 00000000000000000000000005 LAST").last_chunk);
    CHECK(ok("BDAT 000").chunk_size == 0u);
    CHECK(ok("BDAT 0000000000000000000009999999999999999999").chunk_size == 9999999999999999999ull);
    CHECK(ok("MAIL FROM:<a@b> SIZE=000000000000000000000001000").mail.size == 1000u);
    bad("BDAT 000000000000000000000099999999999999999999");  // 20 significant digits
    bad("BDAT 0x5");
}

TEST_CASE("AUTH", "[command][auth]") {
    Command c = ok("AUTH plain");
    CHECK(c.mechanism == "PLAIN");
    CHECK(c.initial_response.empty());
    c = ok("AUTH PLAIN AGFsaWNlAHNlY3JldA==");
    CHECK(c.mechanism == "PLAIN");
    CHECK(c.initial_response == "AGFsaWNlAHNlY3JldA==");
    // Windows Mail: two spaces before the initial response.
    c = ok("AUTH PLAIN  AGFsaWNlAHNlY3JldA==");
    CHECK(c.initial_response == "AGFsaWNlAHNlY3JldA==");
    CHECK(ok("AUTH PLAIN =").initial_response == "=");
    CHECK(ok("auth login").mechanism == "LOGIN");
    CHECK(ok("AUTH SCRAM-SHA-256").mechanism == "SCRAM-SHA-256");
    CHECK(ok("AUTH X_MECH_1").mechanism == "X_MECH_1");
    CHECK(ok("AUTH " + std::string(20, 'M')).mechanism == std::string(20, 'M'));

    bad("AUTH");
    bad("AUTH   ");
    bad("AUTH " + std::string(21, 'M'));
    bad("AUTH PL.AIN");
    bad("AUTH PLAIN abc def");
    bad("AUTH PLAIN a*b");
    bad("AUTH \xC3\xA9");
}
