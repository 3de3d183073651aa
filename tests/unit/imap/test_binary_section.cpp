// BINARY[...] content (RFC 3516): the transfer encodings, the parts that
// are and are not decoded, partials, and literal8 for data with NUL.
#include <catch2/catch.hpp>

#include <string>

#include "common/mime/structure.hpp"
#include "imap/binary_section.hpp"

using namespace pochta;
using namespace pochta::imap;

namespace {

const std::string kMessage =
    "From: a@example.test\r\n"
    "Subject: parts\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=\"b\"\r\n"
    "\r\n"
    "--b\r\n"
    "Content-Type: text/plain\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n"
    "\r\n"
    "caf=C3=A9 soft=\r\n"
    "break\r\n"
    "--b\r\n"
    "Content-Type: application/octet-stream\r\n"
    "Content-Transfer-Encoding: BASE64\r\n"
    "\r\n"
    "AAECAwBm\r\n"
    "b28=\r\n"
    "--b\r\n"
    "Content-Type: text/plain\r\n"
    "Content-Transfer-Encoding: x-uuencode\r\n"
    "\r\n"
    "begin 644 x\r\n"
    "--b\r\n"
    "Content-Type: text/plain\r\n"
    "Content-Transfer-Encoding: 8bit\r\n"
    "\r\n"
    "plain \xC3\xA9\r\n"
    "--b\r\n"
    "Content-Type: message/rfc822\r\n"
    "\r\n"
    "Subject: inner\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "aGk=\r\n"
    "--b--\r\n";

std::string content(const std::string& raw, std::vector<uint32_t> path) {
    mime::Structure s = mime::parse_message(raw);
    return binary_content(s.root, path, [&](uint64_t begin, uint64_t end) { return raw.substr(begin, end - begin); });
}

}  // namespace

TEST_CASE("binary: transfer encodings by name", "[binary]") {
    CHECK(classify_transfer_encoding("7bit") == TransferEncoding::identity);
    CHECK(classify_transfer_encoding(" 8BIT ") == TransferEncoding::identity);
    CHECK(classify_transfer_encoding("Binary") == TransferEncoding::binary);
    CHECK(classify_transfer_encoding("") == TransferEncoding::identity);
    CHECK(classify_transfer_encoding("Base64") == TransferEncoding::base64);
    CHECK(classify_transfer_encoding("quoted-printable") == TransferEncoding::quoted_printable);
    CHECK(classify_transfer_encoding("x-uuencode") == TransferEncoding::unknown);
    CHECK(classify_transfer_encoding("base-64") == TransferEncoding::unknown);
}

TEST_CASE("binary: decoding", "[binary]") {
    CHECK(decode_content("a\nb\r\n", TransferEncoding::identity) == "a\r\nb\r\n");
    // A binary part has no lines: a bare LF and a NUL stay as they are.
    CHECK(decode_content(std::string("\0a\nb", 4), TransferEncoding::binary) == std::string("\0a\nb", 4));
    CHECK(decode_content("AAEC\nAw==\n", TransferEncoding::base64) == std::string("\0\1\2\3", 4));
    // A hard line break is CRLF; an encoded LF stays alone.
    CHECK(decode_content("a=3Db\nc=0Ad=\ne\n", TransferEncoding::quoted_printable) == "a=b\r\nc\nde\r\n");
    CHECK_THROWS_AS(decode_content("x", TransferEncoding::unknown), UnknownCte);
    try {
        decode_content("x", TransferEncoding::unknown);
    } catch (const std::exception& e) {
        CHECK(std::string(e.what()) == kUnknownCteError);
    }
}

TEST_CASE("binary: parts of a message", "[binary]") {
    CHECK(content(kMessage, {1}) == "caf\xC3\xA9 softbreak");
    CHECK(content(kMessage, {2}) == std::string("\0\1\2\3\0foo", 8));
    CHECK_THROWS_AS(content(kMessage, {3}), UnknownCte);
    CHECK(content(kMessage, {4}) == "plain \xC3\xA9");
    // A message/rfc822 part is not decoded, whatever its inner header says.
    CHECK(content(kMessage, {5}) == "Subject: inner\r\nContent-Transfer-Encoding: base64\r\n\r\naGk=");
    // Its inner body is a leaf of its own: decoded.
    CHECK(content(kMessage, {5, 1}) == "hi");
    // Parts that do not exist are empty; [] is the whole message as stored.
    CHECK(content(kMessage, {9}).empty());
    CHECK(content(kMessage, {1, 1}).empty());
    CHECK(content(kMessage, {}) == kMessage);
}

TEST_CASE("binary: a single-part message is its own part 1", "[binary]") {
    std::string raw = "Subject: x\nContent-Transfer-Encoding: base64\n\naGVs\nbG8=\n";
    CHECK(content(raw, {1}) == "hello");
    CHECK(content(raw, {}) == "Subject: x\r\nContent-Transfer-Encoding: base64\r\n\r\naGVs\r\nbG8=\r\n");
    CHECK(content("Subject: y\n\nline\n", {1}) == "line\r\n");
}

TEST_CASE("binary: literal or literal8, with partials", "[binary]") {
    CHECK(binary_literal("hello", std::nullopt) == "{5}\r\nhello");
    CHECK(binary_literal(std::string("a\0b", 3), std::nullopt) == std::string("~{3}\r\na\0b", 9));
    CHECK(binary_literal("", std::nullopt) == "{0}\r\n");
    CHECK(binary_literal("hello", FetchPartial{1, 3}) == "{3}\r\nell");
    CHECK(binary_literal("hello", FetchPartial{3, 100}) == "{2}\r\nlo");
    CHECK(binary_literal("hello", FetchPartial{10, 1}) == "{0}\r\n");
    // Only what is sent counts: the NUL outside the partial does not make it literal8.
    CHECK(binary_literal(std::string("ab\0", 3), FetchPartial{0, 2}) == "{2}\r\nab");
}
