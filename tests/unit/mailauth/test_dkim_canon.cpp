// Canonicalisation and hashes (RFC 6376 3.4, 3.7), with the example of
// RFC 6376 3.4.6.
#include <catch2/catch.hpp>

#include "common/util/strings.hpp"
#include "mailauth/dkim_canon.hpp"

using namespace pochta;
using namespace pochta::mailauth;

namespace {

// RFC 6376 3.4.6
const std::string example =
    "A: X\r\n"
    "B : Y\t\r\n"
    "\tZ  \r\n"
    "\r\n"
    " C \r\n"
    "D \t E\r\n"
    "\r\n"
    "\r\n";

std::string b64(const Sha256& hash) {
    return base64_encode(std::string_view(reinterpret_cast<const char*>(hash.data()), hash.size()));
}

std::string sha256_b64(const std::string& text) {
    // hash_body with simple canonicalisation of a body that is already
    // canonical hashes exactly that text.
    return b64(hash_body(text, DkimCanon::simple).hash);
}

}  // namespace

TEST_CASE("RFC 6376 3.4.6: relaxed and simple headers") {
    auto split = split_message(example);
    REQUIRE(split.fields.size() == 2);
    CHECK(split.fields[0].name == "A");
    CHECK(split.fields[1].name == "B");
    CHECK(split.fields[1].raw == "B : Y\t\r\n\tZ  ");
    CHECK(canonical_header(split.fields[0].raw, DkimCanon::relaxed) == "a:X\r\n");
    CHECK(canonical_header(split.fields[1].raw, DkimCanon::relaxed) == "b:Y Z\r\n");
    CHECK(canonical_header(split.fields[1].raw, DkimCanon::simple) == "B : Y\t\r\n\tZ  \r\n");
    CHECK(split.body == " C \r\nD \t E\r\n\r\n\r\n");
}

TEST_CASE("RFC 6376 3.4.6: relaxed and simple bodies") {
    auto split = split_message(example);
    auto relaxed = hash_body(split.body, DkimCanon::relaxed);
    CHECK(b64(relaxed.hash) == sha256_b64(" C\r\nD E\r\n"));
    CHECK(relaxed.canonical_length == 9);
    auto simple = hash_body(split.body, DkimCanon::simple);
    CHECK(b64(simple.hash) == sha256_b64(" C \r\nD \t E\r\n"));
    CHECK(simple.canonical_length == 12);
}

TEST_CASE("empty bodies (RFC 6376 3.4.3, 3.4.4)") {
    // SHA-256 of CRLF, and of nothing.
    CHECK(b64(hash_body("", DkimCanon::simple).hash) == "frcCV1k9oG9oKj3dpUqdJg1PxRT2RSN/XKdLCPjaYaY=");
    CHECK(b64(hash_body("\r\n\r\n", DkimCanon::simple).hash) == "frcCV1k9oG9oKj3dpUqdJg1PxRT2RSN/XKdLCPjaYaY=");
    CHECK(b64(hash_body("", DkimCanon::relaxed).hash) == "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
    CHECK(b64(hash_body(" \t\r\n\r\n", DkimCanon::relaxed).hash) == "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
}

TEST_CASE("a body without a final line end gets one") {
    CHECK(b64(hash_body("abc", DkimCanon::simple).hash) == sha256_b64("abc\r\n"));
    CHECK(b64(hash_body("abc  ", DkimCanon::relaxed).hash) == sha256_b64("abc\r\n"));
}

TEST_CASE("bare LF line ends hash as CRLF") {
    const std::string crlf = "From: a@b.example\r\nSubject:  hi \r\n\tthere\r\n\r\nline 1 \r\n\r\nline 2\r\n\r\n";
    const std::string lf = "From: a@b.example\nSubject:  hi \n\tthere\n\nline 1 \n\nline 2\n\n";
    auto a = split_message(crlf), b = split_message(lf);
    REQUIRE(a.fields.size() == 2);
    REQUIRE(b.fields.size() == 2);
    for (auto canon : {DkimCanon::simple, DkimCanon::relaxed}) {
        CHECK(canonical_header(a.fields[1].raw, canon) == canonical_header(b.fields[1].raw, canon));
        CHECK(hash_body(a.body, canon).hash == hash_body(b.body, canon).hash);
    }
    CHECK(canonical_header(b.fields[1].raw, DkimCanon::simple) == "Subject:  hi \r\n\tthere\r\n");
}

TEST_CASE("relaxed bodies: lines already relaxed and lines that change, beyond one hashing block") {
    // Single inner and leading spaces stay; tabs, runs and trailing WSP change.
    const std::string lines = " one space\r\nplain\r\na\tb\r\na  b\r\nend \r\nend\t\r\n";
    const std::string relaxed = " one space\r\nplain\r\na b\r\na b\r\nend\r\nend\r\n";
    std::string body, expected;
    while (body.size() < 40000) {
        body += lines;
        expected += relaxed;
    }
    auto hashed = hash_body(body, DkimCanon::relaxed);
    CHECK(b64(hashed.hash) == sha256_b64(expected));
    CHECK(hashed.canonical_length == expected.size());
    CHECK(hash_body(body, DkimCanon::relaxed, 20001).hash == hash_body(expected, DkimCanon::simple, 20001).hash);
}

TEST_CASE("l= hashes a prefix of the canonical body and counts all of it") {
    auto part = hash_body("hello\r\nworld\r\n", DkimCanon::simple, 7);
    CHECK(b64(part.hash) == sha256_b64("hello\r\n"));
    CHECK(part.canonical_length == 14);
    CHECK(hash_body("hello\r\n", DkimCanon::simple, 0).hash == hash_body("", DkimCanon::relaxed).hash);
}

TEST_CASE("a message without a blank line is all header") {
    auto split = split_message("From: x@y.example\r\nSubject: s");
    REQUIRE(split.fields.size() == 2);
    CHECK(split.fields[1].raw == "Subject: s");
    CHECK(split.body.empty());
}

TEST_CASE("header hash: bottom-most instances first, missing names add nothing, b= removed") {
    const std::string message = "Received: 1\r\nX: first\r\nX: second\r\nFrom: a@b.example\r\n\r\nbody\r\n";
    auto split = split_message(message);
    const std::string sig_a = "DKIM-Signature: v=1; h=x:x:x:from; b=AAAA\r\n\t BBBB; bh=Q";
    const std::string sig_b = "DKIM-Signature: v=1; h=x:x:x:from; b=; bh=Q";
    const std::vector<std::string> names{"x", "x", "x", "from"};
    CHECK(hash_headers(split.fields, names, sig_a, DkimCanon::relaxed) ==
          hash_headers(split.fields, names, sig_b, DkimCanon::relaxed));
    // The same fields in the other order hash differently.
    auto swapped = split_message("X: second\r\nX: first\r\nFrom: a@b.example\r\n\r\n");
    CHECK(hash_headers(split.fields, names, sig_b, DkimCanon::relaxed) !=
          hash_headers(swapped.fields, names, sig_b, DkimCanon::relaxed));
    // An extra listed name with no instance left changes nothing.
    auto without = split_message("X: first\r\nX: second\r\nFrom: a@b.example\r\n\r\n");
    CHECK(hash_headers(split.fields, names, sig_b, DkimCanon::simple) ==
          hash_headers(without.fields, names, sig_b, DkimCanon::simple));
}
