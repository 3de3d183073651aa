// The COMPRESS=DEFLATE layer against zlib used directly as the peer: what
// it sends inflates to what was written, across bursts (each with a fresh
// deflater), and what it inflates stops at the input limit.
#include <catch2/catch.hpp>
#include <zlib.h>

#include <string>

#include "common/net/compression.hpp"

using pochta::net::InputBuffer;
using pochta::net::detail::Compression;

namespace {

// A raw deflate peer (RFC 4978) with zlib's default window.
struct Peer {
    z_stream in{}, out{};
    Peer() {
        REQUIRE(inflateInit2(&in, -15) == Z_OK);
        REQUIRE(deflateInit2(&out, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) == Z_OK);
    }
    ~Peer() {
        inflateEnd(&in);
        deflateEnd(&out);
    }
    std::string inflate(const std::string& data) {
        std::string plain(1 << 20, '\0');
        in.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
        in.avail_in = static_cast<uInt>(data.size());
        in.next_out = reinterpret_cast<Bytef*>(plain.data());
        in.avail_out = static_cast<uInt>(plain.size());
        int rc = ::inflate(&in, Z_SYNC_FLUSH);
        REQUIRE((rc == Z_OK || rc == Z_BUF_ERROR));
        REQUIRE(in.avail_in == 0);
        plain.resize(plain.size() - in.avail_out);
        return plain;
    }
    std::string deflate(const std::string& plain) {
        std::string data(plain.size() + 1024, '\0');
        out.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(plain.data()));
        out.avail_in = static_cast<uInt>(plain.size());
        out.next_out = reinterpret_cast<Bytef*>(data.data());
        out.avail_out = static_cast<uInt>(data.size());
        REQUIRE(::deflate(&out, Z_SYNC_FLUSH) == Z_OK);
        data.resize(data.size() - out.avail_out);
        return data;
    }
};

}  // namespace

TEST_CASE("compression: bursts inflate to what was written") {
    Peer peer;
    Compression c;
    std::string first = "* 1 FETCH (FLAGS (\\Seen))\r\n", second = "a OK FETCH completed\r\n";
    REQUIRE(c.write(first));
    REQUIRE(c.write(second));
    CHECK(c.pending());
    std::string burst = c.flush();
    CHECK_FALSE(c.pending());  // the deflater is gone until the next write
    CHECK(peer.inflate(burst) == first + second);
    std::string big;
    for (int i = 0; i < 5000; ++i) big += "* " + std::to_string(i) + " FETCH (UID " + std::to_string(i) + ")\r\n";
    REQUIRE(c.write(big));
    std::string compressed = c.flush();
    CHECK(compressed.size() * 4 < big.size());
    CHECK(peer.inflate(compressed) == big);
    CHECK(c.flush().empty());
}

TEST_CASE("compression: inflating stops at the input limit") {
    Peer peer;
    Compression c;
    std::string plain(300 * 1024, 'x');
    plain += "\r\nb NOOP\r\n";
    std::string data = peer.deflate(plain);
    c.compressed_input().append(data.data(), data.size());
    InputBuffer in;
    REQUIRE(c.inflate(in, 64 * 1024));
    CHECK(in.size() >= 64 * 1024);
    CHECK(in.size() < 64 * 1024 + 16 * 1024);
    std::string all(in.view());
    while (!c.compressed_input().empty()) {
        in.clear();
        REQUIRE(c.inflate(in, 64 * 1024));
        all += in.view();
    }
    CHECK(all == plain);
}

TEST_CASE("compression: a corrupt stream is an error") {
    Compression c;
    std::string junk = "\xff\xff\xff\xff garbage";
    c.compressed_input().append(junk.data(), junk.size());
    InputBuffer in;
    CHECK_FALSE(c.inflate(in, 1024));
    CHECK_FALSE(c.error().empty());
}
