// BODY and BODYSTRUCTURE for the corpus in tests/data/mime/. The expected
// strings were checked by hand against RFC 3501 7.4.2 and against Dovecot
// 2.3 (APPEND + FETCH). Known, intended differences from Dovecot:
// - 05: RFC 2231 parameters are decoded ("filename" "€ rates.txt"), Dovecot
//   passes them encoded ("filename*" "utf-8''%E2%82%AC%20rates.txt");
// - 08: "--separately" is not a delimiter for boundary "sep" (RFC 2046 only
//   allows whitespace after the boundary); Dovecot matches the prefix;
// - 09: sizes count the stored octets (bare LF), Dovecot counts CRLF;
// - 13: Dovecot refuses to store an empty message.
#include <catch2/catch.hpp>

#include <filesystem>

#include "common/mime/structure.hpp"
#include "imap/bodystructure.hpp"
#include "mime_corpus.hpp"

using namespace pochta;

namespace {

using imap::test::load_corpus;

struct Expected {
    const char* file;
    std::string bodystructure;
    std::string body;
};

const Expected corpus[] = {
    {"01-simple-text.eml",
     R"x(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 55 1 NIL NIL NIL NIL))x",
     R"x(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 55 1))x"},
    {"02-multipart-alternative.eml",
     R"x((("text" "plain" ("charset" "utf-8") NIL NIL "quoted-printable" 19 0 NIL NIL NIL NIL)("text" "html" ("charset" "utf-8") NIL NIL "quoted-printable" 26 0 NIL NIL NIL NIL) "alternative" ("boundary" "==alt==") NIL NIL NIL))x",
     R"x((("text" "plain" ("charset" "utf-8") NIL NIL "quoted-printable" 19 0)("text" "html" ("charset" "utf-8") NIL NIL "quoted-printable" 26 0) "alternative"))x"},
    {"03-mixed-attachments.eml",
     R"x((("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 15 1 NIL NIL NIL NIL)("application" "pdf" ("name" "report.pdf") "<part2@example.test>" "The quarterly report" "base64" 16 "Q2hlY2sgSW50ZWdyaXR5IQ==" ("attachment" ("filename" "report.pdf" "size" "12")) ("en" "de") "http://example.test/report.pdf")("image" "png" NIL NIL NIL "BASE64" 12 NIL ("inline" NIL) NIL NIL) "mixed" ("boundary" "XYZ") NIL ("en") NIL))x",
     R"x((("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 15 1)("application" "pdf" ("name" "report.pdf") "<part2@example.test>" "The quarterly report" "base64" 16)("image" "png" NIL NIL NIL "BASE64" 12) "mixed"))x"},
    {"04-nested-rfc822.eml",
     R"x((("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 26 1 NIL NIL NIL NIL)("message" "rfc822" NIL NIL "forwarded" "7bit" 381 ("Wed, 02 Apr 2025 08:00:00 +0000" "hello" (("Carol" NIL "carol" "example.test")) ((NIL NIL "list" "example.test")) ((NIL NIL "replies" "example.test")) ((NIL NIL "alice" "example.test")) NIL NIL NIL "<inner@example.test>") (("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 2 0 NIL NIL NIL NIL)("text" "html" ("charset" "us-ascii") NIL NIL "7bit" 9 0 NIL NIL NIL NIL) "alternative" ("boundary" "inner") NIL NIL NIL) 19 NIL NIL NIL NIL) "mixed" ("boundary" "outer") NIL NIL NIL))x",
     R"x((("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 26 1)("message" "rfc822" NIL NIL "forwarded" "7bit" 381 ("Wed, 02 Apr 2025 08:00:00 +0000" "hello" (("Carol" NIL "carol" "example.test")) ((NIL NIL "list" "example.test")) ((NIL NIL "replies" "example.test")) ((NIL NIL "alice" "example.test")) NIL NIL NIL "<inner@example.test>") (("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 2 0)("text" "html" ("charset" "us-ascii") NIL NIL "7bit" 9 0) "alternative") 19) "mixed"))x"},
    {"05-rfc2231.eml",
     R"x((("application" "octet-stream" ("name" "very long file name.txt") NIL NIL "7bit" 4 NIL ("attachment" ("filename" {13})x" "\r\n" R"x(€ rates.txt)) NIL NIL)("application" "octet-stream" ("name" {9})x" "\r\n" R"x(café.txt) NIL NIL "7bit" 4 NIL ("attachment" ("filename" {9})x" "\r\n" R"x(café.txt)) NIL NIL) "mixed" ("boundary" "b") NIL NIL NIL))x",
     R"x((("application" "octet-stream" ("name" "very long file name.txt") NIL NIL "7bit" 4)("application" "octet-stream" ("name" {9})x" "\r\n" R"x(café.txt) NIL NIL "7bit" 4) "mixed"))x"},
    {"06-rfc2047-subject.eml",
     R"x(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 6 1 NIL NIL NIL NIL))x",
     R"x(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 6 1))x"},
    {"07-missing-final-boundary.eml",
     R"x((("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 5 0 NIL NIL NIL NIL)("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 46 1 NIL NIL NIL NIL) "mixed" ("boundary" "abc") NIL NIL NIL))x",
     R"x((("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 5 0)("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 46 1) "mixed"))x"},
    {"08-boundary-in-preamble.eml",
     R"x((("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 9 0 NIL NIL NIL NIL) "mixed" ("boundary" "sep") NIL NIL NIL))x",
     R"x((("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 9 0) "mixed"))x"},
    {"09-bare-lf-lf.eml",
     R"x((("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 17 1 NIL NIL NIL NIL)("text" "plain" ("charset" "utf-8") NIL NIL "7bit" 5 0 NIL NIL NIL NIL) "mixed" ("boundary" "lf") NIL NIL NIL))x",
     R"x((("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 17 1)("text" "plain" ("charset" "utf-8") NIL NIL "7bit" 5 0) "mixed"))x"},
    {"10-8bit-headers.eml",
     R"x(("text" "plain" ("charset" "utf-8") NIL NIL "8bit" 10 1 NIL NIL NIL NIL))x",
     R"x(("text" "plain" ("charset" "utf-8") NIL NIL "8bit" 10 1))x"},
    {"11-group-addresses.eml",
     R"x(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 3 1 NIL NIL NIL NIL))x",
     R"x(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 3 1))x"},
    {"12-no-content-type.eml",
     R"x(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 39 2 NIL NIL NIL NIL))x",
     R"x(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 39 2))x"},
    {"13-empty.eml",
     R"x(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0 NIL NIL NIL NIL))x",
     R"x(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0))x"},
    {"14-header-only.eml",
     R"x(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0 NIL NIL NIL NIL))x",
     R"x(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0))x"},
    {"15-duplicate-content-type.eml",
     R"x(("text" "html" ("charset" "us-ascii") NIL NIL "7bit" 56 1 NIL NIL NIL NIL))x",
     R"x(("text" "html" ("charset" "us-ascii") NIL NIL "7bit" 56 1))x"},
    {"16-digest.eml",
     R"x((("message" "rfc822" NIL NIL NIL "7bit" 45 (NIL "first" ((NIL NIL "one" "example.test")) ((NIL NIL "one" "example.test")) ((NIL NIL "one" "example.test")) NIL NIL NIL NIL NIL) ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 3 0 NIL NIL NIL NIL) 3 NIL NIL NIL NIL)("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 13 0 NIL NIL NIL NIL) "digest" ("boundary" "d") NIL NIL NIL))x",
     R"x((("message" "rfc822" NIL NIL NIL "7bit" 45 (NIL "first" ((NIL NIL "one" "example.test")) ((NIL NIL "one" "example.test")) ((NIL NIL "one" "example.test")) NIL NIL NIL NIL NIL) ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 3 0) 3)("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 13 0) "digest"))x"},
    {"17-boundary-whitespace.eml",
     R"x((("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 8 0 NIL NIL NIL NIL)("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 13 0 NIL NIL NIL NIL) "mixed" ("boundary" "ws") NIL NIL NIL))x",
     R"x((("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 8 0)("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 13 0) "mixed"))x"},
    {"18-address-forms.eml",
     R"x(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 3 1 NIL NIL NIL NIL))x",
     R"x(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 3 1))x"},
};

}  // namespace

TEST_CASE("BODYSTRUCTURE and BODY of the corpus", "[bodystructure]") {
    for (const auto& e : corpus) {
        INFO(e.file);
        std::string raw = load_corpus(e.file);
        mime::Structure s = mime::parse_message(raw);
        CHECK(imap::render_bodystructure(s.root, true) == e.bodystructure);
        CHECK(imap::render_bodystructure(s.root, false) == e.body);
        // The index copy renders the same.
        auto copy = mime::deserialize(mime::serialize(s));
        REQUIRE(copy);
        CHECK(imap::render_bodystructure(copy->root, true) == e.bodystructure);
    }
}

TEST_CASE("BODYSTRUCTURE of a message/rfc822 part carries envelope, body and lines", "[bodystructure]") {
    std::string raw =
        "Content-Type: message/rfc822\r\n\r\n"
        "Subject: inner\r\nContent-Type: text/plain; charset=utf-8\r\n\r\none\r\ntwo\r\n";
    mime::Structure s = mime::parse_message(raw);
    CHECK(imap::render_bodystructure(s.root, false) ==
          R"(("message" "rfc822" NIL NIL NIL "7bit" 69 (NIL "inner" NIL NIL NIL NIL NIL NIL NIL NIL) )"
          R"(("text" "plain" ("charset" "utf-8") NIL NIL "7bit" 10 2) 5))");
}

TEST_CASE("a multipart without any part shows one empty text part", "[bodystructure]") {
    std::string raw = "Content-Type: multipart/mixed; boundary=q\r\n\r\nno delimiter at all\r\n";
    mime::Structure s = mime::parse_message(raw);
    CHECK(imap::render_bodystructure(s.root, true) ==
          R"((("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0 NIL NIL NIL NIL) "mixed" ("boundary" "q") NIL NIL NIL))");
    CHECK(imap::render_bodystructure(s.root, false) ==
          R"((("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0) "mixed"))");
}

TEST_CASE("a multipart without a boundary is an opaque text part", "[bodystructure]") {
    std::string raw = "Content-Type: multipart/mixed\r\n\r\nbody\r\n";
    mime::Structure s = mime::parse_message(raw);
    CHECK(imap::render_bodystructure(s.root, false) ==
          R"(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 6 1))");
}

TEST_CASE("non-text single parts have no line count; languages and location", "[bodystructure]") {
    std::string raw =
        "Content-Type: application/octet-stream\r\n"
        "Content-Disposition: attachment; filename=\"a \\\"b\\\".bin\"\r\n"
        "Content-Language: fr\r\n"
        "Content-Location: folder/a.bin\r\n"
        "Content-Transfer-Encoding: binary\r\n\r\nxyz";
    mime::Structure s = mime::parse_message(raw);
    CHECK(imap::render_bodystructure(s.root, true) ==
          R"(("application" "octet-stream" NIL NIL NIL "binary" 3 NIL ("attachment" ("filename" "a \"b\".bin")) ("fr") "folder/a.bin"))");
}

TEST_CASE("absurd nesting renders bounded output", "[bodystructure]") {
    // 10,000 nested multiparts: only max_depth levels are split.
    std::string raw;
    for (int i = 0; i < 10000; ++i)
        raw += "Content-Type: multipart/mixed; boundary=b" + std::to_string(i) + "\r\n\r\n--b" + std::to_string(i) + "\r\n";
    raw += "\r\ninnermost\r\n";
    mime::Structure s = mime::parse_message(raw);
    CHECK(s.truncated);
    std::string out = imap::render_bodystructure(s.root, true);
    size_t opens = static_cast<size_t>(std::count(out.begin(), out.end(), '('));
    CHECK(opens < 64 * 4);
    CHECK(out.rfind("((((", 0) == 0);
}
