// DATA encoding (dot-stuffing, line ends) and what a message needs.
#include <catch2/catch.hpp>

#include "outbound/smtp_client_data.hpp"

using namespace pochta::outbound;

TEST_CASE("dot-stuffing and the terminating dot", "[outbound][client][data]") {
    CHECK(encode_data("") == ".\r\n");
    CHECK(encode_data("a\r\n") == "a\r\n.\r\n");
    CHECK(encode_data("a") == "a\r\n.\r\n");
    CHECK(encode_data(".\r\n") == "..\r\n.\r\n");
    CHECK(encode_data("x\r\n.hidden\r\n..two\r\nmid.dot\r\n.") == "x\r\n..hidden\r\n...two\r\nmid.dot\r\n..\r\n.\r\n");
}

TEST_CASE("bare CR and LF become CRLF, so no smuggled end of data", "[outbound][client][data]") {
    CHECK(encode_data("a\nb\n") == "a\r\nb\r\n.\r\n");
    CHECK(encode_data("a\rb") == "a\r\nb\r\n.\r\n");
    CHECK(encode_data("a\r\r\nb") == "a\r\n\r\nb\r\n.\r\n");
    // The classic smuggling shapes: a lone LF or CR before a dot.
    CHECK(encode_data("x\n.\r\nMAIL FROM:<evil>\r\n") == "x\r\n..\r\nMAIL FROM:<evil>\r\n.\r\n");
    CHECK(encode_data("x\r.\r\ny") == "x\r\n..\r\ny\r\n.\r\n");
    CHECK(encode_data("ends with cr\r") == "ends with cr\r\n.\r\n");
}

TEST_CASE("block-wise encoding equals the whole", "[outbound][client][data]") {
    std::string message;
    for (int i = 0; i < 300; i++) message += (i % 3 == 0 ? ".line " : "line ") + std::to_string(i) + (i % 5 ? "\r\n" : "\n");
    message += "\r.\r\r";
    std::string whole = encode_data(message);
    for (size_t block : {1, 2, 3, 7, 64, 1000}) {
        DataEncoder enc(std::make_shared<const std::string>(message));
        std::string pieces;
        size_t calls = 0;
        while (!enc.done() && calls++ < 100000) pieces += enc.next(block);
        CAPTURE(block);
        CHECK(pieces == whole);
        CHECK(enc.next(block).empty());
    }
}

TEST_CASE("what a message needs from the server", "[outbound][client][data]") {
    auto plain = analyze_message("a@example.org", {"b@example.net"}, "Subject: hi\r\n\r\nhello\r\n");
    CHECK_FALSE(plain.eight_bit);
    CHECK_FALSE(plain.smtputf8);
    auto body8 = analyze_message("a@example.org", {"b@example.net"}, "Subject: hi\r\n\r\nh\xc3\xa9llo\r\n");
    CHECK(body8.eight_bit);
    CHECK_FALSE(body8.smtputf8);
    auto utf8rcpt = analyze_message("a@example.org", {"b@example.net", "\xd0\xb8@example.ru"}, "x");
    CHECK(utf8rcpt.smtputf8);
    CHECK(analyze_message("\xc3\xa9@example.org", {}, "").smtputf8);
}
