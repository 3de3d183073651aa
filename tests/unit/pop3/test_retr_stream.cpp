// WireEncoder: CRLF, dot-stuffing and TOP across every chunk boundary.
#include <catch2/catch.hpp>

#include <string>

#include "pop3/maildrop.hpp"
#include "pop3/retr_stream.hpp"

using pochta::pop3::WireEncoder;

namespace {

struct Encoded {
    std::string wire;
    uint64_t octets = 0;
};

Encoded encode(std::string_view message, std::optional<uint64_t> lines, size_t chunk) {
    WireEncoder enc(lines);
    Encoded out;
    for (size_t i = 0; i < message.size() && !enc.done(); i += chunk) enc.feed(message.substr(i, chunk), out.wire);
    enc.finish(out.wire);
    out.octets = enc.message_octets();
    return out;
}

// The same result whatever the chunking, checked for every chunk size.
std::string encode_all_ways(std::string_view message, std::optional<uint64_t> lines = std::nullopt) {
    Encoded whole = encode(message, lines, message.size() + 1);
    for (size_t chunk = 1; chunk <= message.size(); chunk++) {
        INFO("chunk " << chunk);
        Encoded piecewise = encode(message, lines, chunk);
        CHECK(piecewise.wire == whole.wire);
        CHECK(piecewise.octets == whole.octets);
    }
    return whole.wire;
}

// What a client gets back after undoing the stuffing (poplib does this).
std::string unstuff(std::string wire) {
    REQUIRE(wire.size() >= 3);
    REQUIRE(wire.substr(wire.size() - 3) == ".\r\n");
    wire.resize(wire.size() - 3);
    std::string out;
    size_t pos = 0;
    while (pos < wire.size()) {
        size_t end = wire.find("\r\n", pos);
        REQUIRE(end != std::string::npos);
        std::string line = wire.substr(pos, end - pos);
        if (!line.empty() && line[0] == '.') line.erase(0, 1);
        out += line + "\r\n";
        pos = end + 2;
    }
    return out;
}

}  // namespace

TEST_CASE("CRLF messages pass unchanged", "[retr]") {
    std::string msg = "Subject: x\r\n\r\nbody\r\n";
    CHECK(encode_all_ways(msg) == msg + ".\r\n");
    CHECK(encode(msg, std::nullopt, 3).octets == msg.size());
}

TEST_CASE("bare LF becomes CRLF, bare CR stays", "[retr]") {
    std::string msg = "A: 1\n\nline\nmixed\r\nbare\rcr\n";
    std::string wire = encode_all_ways(msg);
    CHECK(wire == "A: 1\r\n\r\nline\r\nmixed\r\nbare\rcr\r\n.\r\n");
    // The octets are the CRLF size of the store (each bare LF counts 2).
    CHECK(encode(msg, std::nullopt, 5).octets == msg.size() + 4);
}

TEST_CASE("lines starting with a dot are stuffed, not counted", "[retr]") {
    std::string msg = ".\r\n..two\r\nmid.dle\r\n.\r\n.end";
    std::string wire = encode_all_ways(msg);
    CHECK(wire == "..\r\n...two\r\nmid.dle\r\n..\r\n..end\r\n.\r\n");
    Encoded e = encode(msg, std::nullopt, 2);
    CHECK(e.octets == msg.size() + 2);  // + the CRLF that ends ".end", no stuffing
    CHECK(unstuff(wire) == msg + "\r\n");
}

TEST_CASE("a message without a final newline is ended", "[retr]") {
    CHECK(encode_all_ways("Subject: x\r\n\r\nno newline") == "Subject: x\r\n\r\nno newline\r\n.\r\n");
    CHECK(encode("abc", std::nullopt, 1).octets == 5);
    CHECK(encode_all_ways("trailing cr\r") == "trailing cr\r\r\n.\r\n");
    CHECK(encode("trailing cr\r", std::nullopt, 1).octets == pochta::pop3::wire_size(12, 12, '\r'));
}

TEST_CASE("an empty message is just the terminator", "[retr]") {
    Encoded e = encode("", std::nullopt, 1);
    CHECK(e.wire == ".\r\n");
    CHECK(e.octets == 0);
}

TEST_CASE("8-bit and NUL bytes pass through", "[retr]") {
    std::string msg("H: \xc3\xa4\r\n\r\n\x00\xff\x80\r\n", 14);
    CHECK(encode_all_ways(msg) == msg + ".\r\n");
}

TEST_CASE("TOP sends the header, the blank line and n body lines", "[top]") {
    std::string msg = "A: 1\r\nB: 2\r\n\r\none\r\n.two\r\nthree\r\n";
    CHECK(encode_all_ways(msg, 0) == "A: 1\r\nB: 2\r\n\r\n.\r\n");
    CHECK(encode_all_ways(msg, 1) == "A: 1\r\nB: 2\r\n\r\none\r\n.\r\n");
    CHECK(encode_all_ways(msg, 2) == "A: 1\r\nB: 2\r\n\r\none\r\n..two\r\n.\r\n");
    CHECK(encode_all_ways(msg, 3) == msg.substr(0, 19) + "..two\r\nthree\r\n.\r\n");
    CHECK(encode_all_ways(msg, 100) == encode_all_ways(msg));
}

TEST_CASE("TOP with bare LF and odd headers", "[top]") {
    CHECK(encode_all_ways("A: 1\n\nx\ny\n", 1) == "A: 1\r\n\r\nx\r\n.\r\n");
    // A CR-only line ends the header too.
    CHECK(encode_all_ways("A: 1\r\n\r\r\nx\r\n", 0) == "A: 1\r\n\r\r\n.\r\n");
    // No blank line: the whole message is header.
    CHECK(encode_all_ways("A: 1\r\nB: 2", 0) == "A: 1\r\nB: 2\r\n.\r\n");
    // The last body line without a newline.
    CHECK(encode_all_ways("A: 1\r\n\r\nx", 5) == "A: 1\r\n\r\nx\r\n.\r\n");
}

TEST_CASE("TOP stops reading once it has its lines", "[top]") {
    WireEncoder enc(1);
    std::string out;
    enc.feed("A: 1\r\n\r\nfirst\r\nsecond\r\n", out);
    CHECK(enc.done());
    enc.feed("more\r\n", out);  // ignored
    enc.finish(out);
    CHECK(out == "A: 1\r\n\r\nfirst\r\n.\r\n");
}

TEST_CASE("a large message streams with the same result", "[retr]") {
    std::string msg;
    for (int i = 0; i < 5000; i++) msg += (i % 7 == 0 ? ".dot line " : "line ") + std::to_string(i) + (i % 3 ? "\n" : "\r\n");
    Encoded a = encode(msg, std::nullopt, 65536);
    Encoded b = encode(msg, std::nullopt, 4093);
    CHECK(a.wire == b.wire);
    CHECK(a.octets == b.octets);
    std::string crlf;
    for (size_t i = 0; i < msg.size(); i++) {
        if (msg[i] == '\n' && (i == 0 || msg[i - 1] != '\r')) crlf += '\r';
        crlf += msg[i];
    }
    CHECK(a.octets == crlf.size());
    CHECK(unstuff(a.wire) == crlf);
}
