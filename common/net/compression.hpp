// Internal to common/net: COMPRESS=DEFLATE (RFC 4978), raw deflate (RFC
// 1951) both ways, between the session's bytes and TLS (or the socket).
// Sized for many idle connections (README.md, "IMAP": COMPRESS): the
// inflater keeps the 32 KiB window a client's compressor may refer back
// to for the whole session (RFC 4978 lets the client choose it); the
// deflater exists only while a burst of output is being compressed: each
// flush ends with a sync flush, after which no later block refers to
// earlier data of ours, so the deflater is freed and the next burst
// starts a fresh one, which the peer's inflater reads as more blocks of
// the same stream.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "common/net/connection.hpp"

typedef struct z_stream_s z_stream;

namespace pochta::net::detail {

class Compression {
public:
    // Output deflater: an 8 KiB window and memLevel 6 take about 64 KiB
    // while a burst is compressed (zlib: 2^(windowBits+2) + 2^(memLevel+9)),
    // instead of 256 KiB at zlib's defaults, for a ratio within a few
    // percent on IMAP responses.
    static constexpr int kDeflateWindowBits = 13;
    static constexpr int kDeflateMemLevel = 6;

    // Throws std::runtime_error when zlib cannot allocate its state.
    Compression();
    ~Compression();
    Compression(const Compression&) = delete;
    Compression& operator=(const Compression&) = delete;

    // Compressed bytes from the peer wait here for inflate().
    InputBuffer& compressed_input() { return compressed_in_; }
    // Inflates into `out` until it holds at least `limit` bytes or the
    // compressed input is used up. False on a corrupt stream (see error()).
    bool inflate(InputBuffer& out, size_t limit);

    // Compresses `data`; the result waits inside zlib until flush().
    bool write(std::string_view data);
    bool pending() const { return deflater_ != nullptr; }
    // The compressed bytes of everything written since the last flush,
    // ending in a sync flush; frees the deflater.
    std::string flush();

    const std::string& error() const { return error_; }

private:
    bool deflate(int mode, std::string& out);
    void end_deflater();

    std::unique_ptr<z_stream> inflater_;
    std::unique_ptr<z_stream> deflater_;  // null between bursts
    InputBuffer compressed_in_;
    std::string out_;  // compressed, not yet flushed
    bool ended_ = false;  // the peer finished its stream (Z_STREAM_END)
    std::string error_;
};

}  // namespace pochta::net::detail
