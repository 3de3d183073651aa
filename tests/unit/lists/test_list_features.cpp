// Bounce reports, the footer and digests (README.md, "Mailing lists").
#include <catch2/catch.hpp>

#include <string>

#include "common/mime/structure.hpp"
#include "lists/list_bounces.hpp"
#include "lists/list_digest.hpp"
#include "lists/list_footer.hpp"
#include "lists/list_message.hpp"
#include "lists/list_settings.hpp"

using namespace pochta;
using namespace pochta::lists;

namespace {

std::string dsn(const std::string& status, const std::string& diagnostic, const std::string& text = "It failed.",
                const std::string& action = "failed") {
    return "From: MAILER-DAEMON@mx.example\r\nTo: l+bounce-bob=x.example@l.example\r\nSubject: failure\r\n"
           "MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\r\n"
           "--B\r\nContent-Type: text/plain\r\n\r\n" + text + "\r\n"
           "--B\r\nContent-Type: message/delivery-status\r\n\r\n"
           "Reporting-MTA: dns; mx.example\r\n\r\n"
           "Final-Recipient: rfc822; bob@x.example\r\nAction: " + action + "\r\nStatus: " + status + "\r\n"
           "Diagnostic-Code: smtp; " + diagnostic + "\r\n\r\n"
           "--B\r\nContent-Type: message/rfc822\r\n\r\nFrom: a@b.example\r\nAuthentication-Results: x; dmarc=pass\r\n"
           "\r\nhello\r\n--B--\r\n";
}

mime::Structure parsed(const std::string& message) { return mime::parse_message(message); }

std::string body_of(const std::string& raw, const mime::Part& part) {
    return raw.substr(part.body_start, part.end - part.body_start);
}

}  // namespace

TEST_CASE("bounce reports: hard, soft, DMARC and not a report") {
    CHECK(read_bounce(dsn("5.1.1", "550 5.1.1 no such user")).kind == BounceKind::hard);
    CHECK(read_bounce(dsn("5.1.1", "550 5.1.1 no such user")).status == "5.1.1");
    CHECK(read_bounce(dsn("4.2.2", "452 mailbox full", "Delayed.", "delayed")).kind == BounceKind::soft);
    CHECK(read_bounce(dsn("4.4.1", "timeout")).kind == BounceKind::soft);
    // A DMARC refusal is the author's domain's doing, never the member's.
    CHECK(read_bounce(dsn("5.7.1", "550 5.7.1 rejected due to the sender domain's DMARC policy")).kind ==
          BounceKind::dmarc);
    CHECK(read_bounce(dsn("5.7.26", "550 unauthenticated", "Refused: DMARC policy of the author")).kind ==
          BounceKind::dmarc);
    // DMARC named only in the returned message does not make it one.
    CHECK(read_bounce(dsn("5.7.1", "550 5.7.1 relaying denied")).kind == BounceKind::hard);
    CHECK(read_bounce("From: x@y\r\nSubject: out of office\r\n\r\nI am away.\r\n").kind == BounceKind::unknown);
    CHECK(read_bounce("").kind == BounceKind::unknown);
}

TEST_CASE("the footer is appended to plain text it fits") {
    const std::string plain = "From: a@b\r\nSubject: s\r\n\r\nhello\r\n";
    CHECK(with_footer(plain, "--\nthe list") == plain + "--\r\nthe list\r\n");
    CHECK(with_footer(plain, "") == plain);
    const std::string no_newline = "Subject: s\r\n\r\nhello";
    CHECK(with_footer(no_newline, "f") == no_newline + "\r\nf\r\n");
    const std::string utf8 = "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nhi\r\n";
    CHECK(with_footer(utf8, "caf\xc3\xa9") == utf8 + "caf\xc3\xa9\r\n");
}

TEST_CASE("the footer is its own part when appending would change the text's encoding") {
    for (const std::string header : {"Content-Type: text/plain; charset=iso-8859-1\r\n",
                                     "Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n",
                                     "Content-Type: multipart/alternative; boundary=\"A\"\r\n"}) {
        const std::string body = header.find("multipart") != std::string::npos
                                     ? "--A\r\nContent-Type: text/plain\r\n\r\nx\r\n--A--\r\n"
                                     : "aGVsbG8=\r\n";
        const std::string message = "From: a@b\r\nSubject: s\r\n" + header + "\r\n" + body;
        const std::string out = with_footer(message, "caf\xc3\xa9");
        auto s = parsed(out);
        CHECK(s.root.type == "multipart");
        CHECK(s.root.subtype == "mixed");
        REQUIRE(s.root.children.size() == 2);
        // The post's part is its own content fields and body, untouched.
        CHECK(out.substr(s.root.children[0].header_start, s.root.children[0].end - s.root.children[0].header_start) ==
              header + "\r\n" + body);
        CHECK(body_of(out, s.root.children[1]) == "caf\xc3\xa9\r\n");
        CHECK(s.root.children[1].encoding == "8bit");
        CHECK(out.find("From: a@b\r\nSubject: s\r\nMIME-Version: 1.0\r\n") == 0);
    }
}

TEST_CASE("the footer is the last part of a multipart/mixed post") {
    const std::string message =
        "Subject: s\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"M\"\r\n\r\npreamble\r\n"
        "--M\r\nContent-Type: text/plain\r\n\r\ntext\r\n--M\r\nContent-Type: application/pdf\r\n\r\n%PDF\r\n--M--\r\n"
        "epilogue\r\n";
    const std::string out = with_footer(message, "the footer");
    auto s = parsed(out);
    REQUIRE(s.root.children.size() == 3);
    CHECK(body_of(out, s.root.children[1]) == "%PDF");
    CHECK(body_of(out, s.root.children[2]) == "the footer\r\n");
    CHECK(out.ends_with("--M--\r\nepilogue\r\n"));
}

TEST_CASE("list copies carry the footer") {
    ListSettings settings;
    settings.footer = "unsubscribe: l-unsubscribe@example.org";
    const std::string copy = list_copy("From: a@b.example\r\nSubject: s\r\n\r\nhi\r\n", {"l@example.org", &settings});
    CHECK(copy.ends_with("hi\r\nunsubscribe: l-unsubscribe@example.org\r\n"));
}

TEST_CASE("list settings for bounces, footer and digests") {
    CHECK(check_setting("footer", "line one\nline two").empty());
    CHECK_FALSE(check_setting("footer", "bad\x01").empty());
    CHECK_FALSE(check_setting("footer", std::string(2001, 'x')).empty());
    CHECK(check_setting("bounce_threshold", "3").empty());
    CHECK_FALSE(check_setting("bounce_threshold", "0").empty());
    CHECK_FALSE(check_setting("bounce_window_days", "366").empty());
    CHECK(check_setting("digest_every", "12h").empty());
    CHECK_FALSE(check_setting("digest_every", "5m").empty());
    CHECK_FALSE(check_setting("digest_max_posts", "many").empty());
    auto settings = read_settings({{"bounce_threshold", "2"}, {"bounce_window_days", "7"}, {"digest_every", "2d"},
                                   {"digest_max_posts", "3"}, {"footer", "f"}});
    CHECK(settings.bounce_threshold == 2);
    CHECK(settings.bounce_window_days == 7);
    CHECK(settings.digest_every == std::chrono::hours(48));
    CHECK(settings.digest_max_posts == 3);
    CHECK(settings.footer == "f");
    CHECK(describe_settings(settings).at("digest_every") == "2d");
    CHECK(describe_settings(read_settings({{"digest_every", "90m"}})).at("digest_every") == "90m");
    CHECK(read_settings({}).bounce_threshold == 5);
    CHECK(read_settings({}).bounce_window_days == 30);
}

TEST_CASE("a digest is due after N posts or when its first post is old enough") {
    ListSettings settings;
    settings.digest_max_posts = 3;
    settings.digest_every = std::chrono::hours(24);
    CHECK_FALSE(digest_due(settings, {0, 0}, 1000000));
    CHECK_FALSE(digest_due(settings, {2, 1000000}, 1000000 + 3600));
    CHECK(digest_due(settings, {3, 1000000}, 1000000));
    CHECK(digest_due(settings, {1, 1000000}, 1000000 + 24 * 3600));
}

TEST_CASE("a digest is a multipart/digest: contents first, then each post") {
    ListSettings settings;
    settings.description = "Staff";
    const std::string one = "From: Ann <ann@x.example>\r\nSubject: =?utf-8?q?caf=C3=A9?=\r\n\r\nfirst\r\n";
    const std::string two = "From: bob@x.example\r\nSubject: second\r\n\r\nsecond body";
    const std::string out = digest_message("staff@example.org", settings, {one, two});
    auto s = parsed(out);
    CHECK(s.root.subtype == "digest");
    REQUIRE(s.root.children.size() == 3);
    const std::string contents = body_of(out, s.root.children[0]);
    CHECK(contents.find("  1. caf\xc3\xa9 (ann@x.example)\r\n  2. second (bob@x.example)") != std::string::npos);
    CHECK(s.root.children[1].type == "message");
    CHECK(out.substr(s.root.children[1].body_start, one.size()) == one);
    CHECK(body_of(out, s.root.children[2]) == two + "\r\n");
    CHECK(has_looped(out, "staff@example.org"));
    CHECK(out.find("List-Id: \"Staff\" <staff.example.org>\r\n") != std::string::npos);
}
