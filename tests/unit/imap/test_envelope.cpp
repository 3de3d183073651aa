// ENVELOPE for the corpus in tests/data/mime/, checked by hand against RFC
// 3501 7.4.2 and against Dovecot 2.3 (APPEND + FETCH ENVELOPE); the only
// difference is 02, where Dovecot sends the name with '"' as a literal and
// this renderer as a quoted string with escapes (both are valid).
#include <catch2/catch.hpp>

#include <filesystem>

#include "common/mime/structure.hpp"
#include "imap/envelope.hpp"
#include "imap/imap_string.hpp"
#include "mime_corpus.hpp"

using namespace pochta;

namespace {

using imap::test::load_corpus;

struct Expected {
    const char* file;
    std::string envelope;
};

const Expected corpus[] = {
    {"01-simple-text.eml",
     R"x(("Mon, 7 Feb 1994 21:52:25 -0800 (PST)" "afternoon meeting" (("Fred Foobar" NIL "foobar" "Blurdybloop.example")) (("Fred Foobar" NIL "foobar" "Blurdybloop.example")) (("Fred Foobar" NIL "foobar" "Blurdybloop.example")) ((NIL NIL "mooch" "owatagu.siam.edu.example")) NIL NIL NIL "<B27397-0100000@Blurdybloop.example>"))x"},
    {"02-multipart-alternative.eml",
     R"x(("Tue, 01 Apr 2025 10:00:00 +0000" "Lunch?" (("Doe, Jane" NIL "jane" "example.test")) (("Doe, Jane" NIL "jane" "example.test")) (("Doe, Jane" NIL "jane" "example.test")) ((NIL NIL "bob" "example.test")("Carol \"C\" Smith" NIL "carol" "example.test")) ((NIL NIL "undisclosed-recipients" NIL)(NIL NIL NIL NIL)) NIL "<prev@example.test>" "<alt-1@example.test>"))x"},
    {"03-mixed-attachments.eml",
     R"x(("Wed, 02 Apr 2025 11:00:00 +0200" "report" ((NIL NIL "alice" "example.test")) ((NIL NIL "alice" "example.test")) ((NIL NIL "alice" "example.test")) ((NIL NIL "bob" "example.test")) NIL NIL NIL "<mixed-1@example.test>"))x"},
    {"04-nested-rfc822.eml",
     R"x(("Thu, 03 Apr 2025 12:00:00 +0000" "Fwd: hello" (("Alice" NIL "alice" "example.test")) (("Alice" NIL "alice" "example.test")) (("Alice" NIL "alice" "example.test")) ((NIL NIL "bob" "example.test")) NIL NIL NIL NIL))x"},
    {"05-rfc2231.eml",
     R"x(("Fri, 04 Apr 2025 12:00:00 +0000" "parameters" ((NIL NIL "alice" "example.test")) ((NIL NIL "alice" "example.test")) ((NIL NIL "alice" "example.test")) ((NIL NIL "bob" "example.test")) NIL NIL NIL NIL))x"},
    {"06-rfc2047-subject.eml",
     R"x(("Sat, 05 Apr 2025 12:00:00 +0000" "=?UTF-8?B?w6l0w6k=?= =?UTF-8?Q?_=C3=A0_Paris?=" (("=?UTF-8?Q?Andr=C3=A9?=" NIL "andre" "example.test")) (("=?UTF-8?Q?Andr=C3=A9?=" NIL "andre" "example.test")) (("=?UTF-8?Q?Andr=C3=A9?=" NIL "andre" "example.test")) (("=?ISO-8859-1?Q?Keld_J=F8rn_Simonsen?=" NIL "keld" "example.test")) NIL NIL NIL "<2047@example.test>"))x"},
    {"07-missing-final-boundary.eml",
     R"x((NIL "truncated" ((NIL NIL "alice" "example.test")) ((NIL NIL "alice" "example.test")) ((NIL NIL "alice" "example.test")) NIL NIL NIL NIL NIL))x"},
    {"08-boundary-in-preamble.eml",
     R"x((NIL "preamble" ((NIL NIL "alice" "example.test")) ((NIL NIL "alice" "example.test")) ((NIL NIL "alice" "example.test")) NIL NIL NIL NIL NIL))x"},
    {"09-bare-lf-lf.eml",
     R"x((NIL "bare LF" ((NIL NIL "alice" "example.test")) ((NIL NIL "alice" "example.test")) ((NIL NIL "alice" "example.test")) ((NIL NIL "bob" "example.test")) NIL NIL NIL NIL))x"},
    {"10-8bit-headers.eml",
     R"x(("Sun, 06 Apr 2025 12:00:00 +0000" {17})x" "\r\n" R"x(Grüße aus Köln (({15})x" "\r\n" R"x(Jürgen Müller NIL "juergen" "example.test")) (({15})x" "\r\n" R"x(Jürgen Müller NIL "juergen" "example.test")) (({15})x" "\r\n" R"x(Jürgen Müller NIL "juergen" "example.test")) ((NIL NIL "bob" "example.test")) NIL NIL NIL NIL))x"},
    {"11-group-addresses.eml",
     R"x(("Mon, 07 Apr 2025 12:00:00 +0000" "groups" ((NIL NIL "alice" "example.test")) ((NIL NIL "alice" "example.test")) ((NIL NIL "alice" "example.test")) ((NIL NIL "A Group" NIL)("Ed Jones" NIL "c" "a.test")(NIL NIL "joe" "where.test")("John" NIL "jdoe" "one.test")(NIL NIL NIL NIL)(NIL NIL "bob" "example.test")) ((NIL NIL "undisclosed-recipients" NIL)(NIL NIL NIL NIL)) ((NIL NIL "Empty Group" NIL)(NIL NIL NIL NIL)) NIL NIL))x"},
    {"12-no-content-type.eml",
     R"x(("Tue, 08 Apr 2025 12:00:00 +0000" "plain old mail" ((NIL NIL "alice" "example.test")) ((NIL NIL "alice" "example.test")) ((NIL NIL "alice" "example.test")) ((NIL NIL "bob" "example.test")) NIL NIL NIL NIL))x"},
    {"13-empty.eml",
     R"x((NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL))x"},
    {"14-header-only.eml",
     R"x((NIL "header only, no body, no final newline" ((NIL NIL "alice" "example.test")) ((NIL NIL "alice" "example.test")) ((NIL NIL "alice" "example.test")) NIL NIL NIL NIL NIL))x"},
    {"15-duplicate-content-type.eml",
     R"x((NIL "duplicates" ((NIL NIL "alice" "example.test")) ((NIL NIL "alice" "example.test")) ((NIL NIL "alice" "example.test")) NIL NIL NIL NIL NIL))x"},
    {"16-digest.eml",
     R"x((NIL "digest" ((NIL NIL "list" "example.test")) ((NIL NIL "list" "example.test")) ((NIL NIL "list" "example.test")) NIL NIL NIL NIL NIL))x"},
    {"17-boundary-whitespace.eml",
     R"x((NIL "boundary whitespace" ((NIL NIL "alice" "example.test")) ((NIL NIL "alice" "example.test")) ((NIL NIL "alice" "example.test")) NIL NIL NIL NIL NIL))x"},
    {"18-address-forms.eml",
     R"x(("Wed, 09 Apr 2025 12:00:00 +0000" "address forms" (("Joe Q. Public" NIL "john.q.public" "example.test")) ((NIL "@relay1.test,@relay2.test" "joe" "example.test")) (("Pete Smith" NIL "pete" "silly.test")) ((NIL NIL "quoted local" "example.test")("Mary Smith" NIL "mary" "x.test")("John Doe" NIL "jdoe" "example.test")(NIL NIL "nodomain" "MISSING_DOMAIN")) (("Who?" NIL "one" "y.test")(NIL NIL "boss" "nil.test")) NIL NIL "<forms@example.test>"))x"},
};

std::string envelope_of(std::string_view header) {
    std::string raw(header);
    raw += "\r\nbody\r\n";
    return imap::render_envelope(mime::parse_message(raw).root);
}

}  // namespace

TEST_CASE("ENVELOPE of the corpus", "[envelope]") {
    for (const auto& e : corpus) {
        INFO(e.file);
        mime::Structure s = mime::parse_message(load_corpus(e.file));
        CHECK(imap::render_envelope(s.root) == e.envelope);
    }
}

TEST_CASE("Sender and Reply-To default to From when absent or empty", "[envelope]") {
    CHECK(envelope_of("From: a@x.test\r\nSender:\r\nReply-To: \r\n") ==
          R"((NIL NIL ((NIL NIL "a" "x.test")) ((NIL NIL "a" "x.test")) ((NIL NIL "a" "x.test")) NIL NIL NIL NIL NIL))");
    CHECK(envelope_of("From: a@x.test\r\nSender: s@x.test\r\n") ==
          R"((NIL NIL ((NIL NIL "a" "x.test")) ((NIL NIL "s" "x.test")) ((NIL NIL "a" "x.test")) NIL NIL NIL NIL NIL))");
    // Without From, everything stays NIL.
    CHECK(envelope_of("Subject: x\r\n") == R"((NIL "x" NIL NIL NIL NIL NIL NIL NIL NIL))");
}

TEST_CASE("empty but present fields are empty strings, first occurrence wins", "[envelope]") {
    CHECK(envelope_of("Subject:\r\nSubject: second\r\nDate: d1\r\nDate: d2\r\n") ==
          R"(("d1" "" NIL NIL NIL NIL NIL NIL NIL NIL))");
}

TEST_CASE("folded fields are unfolded", "[envelope]") {
    CHECK(envelope_of("Subject: a\r\n  folded\r\n\tsubject\r\nTo: x@y.test,\r\n z@y.test\r\n") ==
          R"((NIL "a  folded	subject" NIL NIL NIL ((NIL NIL "x" "y.test")(NIL NIL "z" "y.test")) NIL NIL NIL NIL))");
}

TEST_CASE("missing mailbox or domain use placeholders, never NIL host", "[envelope]") {
    CHECK(envelope_of("To: nodomain, <@x.test>\r\n") ==
          R"((NIL NIL NIL NIL NIL ((NIL NIL "nodomain" "MISSING_DOMAIN")(NIL NIL "MISSING_MAILBOX" "x.test")) NIL NIL NIL NIL))");
}

TEST_CASE("a message/rfc822 part without envelope fields renders all NIL", "[envelope]") {
    mime::Part bare;
    CHECK(imap::render_envelope(bare) == "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)");
}

TEST_CASE("IMAP strings: quoted, escaped, literal, NIL", "[imap_string]") {
    std::string out;
    imap::append_string(out, "plain text");
    CHECK(out == "\"plain text\"");
    out.clear();
    imap::append_string(out, "a\"b\\c");
    CHECK(out == R"("a\"b\\c")");
    out.clear();
    imap::append_string(out, "");
    CHECK(out == "\"\"");
    out.clear();
    imap::append_string(out, "two\r\nlines");
    CHECK(out == "{10}\r\ntwo\r\nlines");
    out.clear();
    imap::append_string(out, "caf\xC3\xA9");
    CHECK(out == "{5}\r\ncaf\xC3\xA9");
    out.clear();
    imap::append_string(out, std::string_view("a\0b", 3));
    CHECK(out == "{2}\r\nab");
    out.clear();
    imap::append_nstring(out, std::nullopt);
    CHECK(out == "NIL");
}
