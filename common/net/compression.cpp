#include "common/net/compression.hpp"

#include <zlib.h>

#include <stdexcept>

namespace pochta::net::detail {
namespace {

constexpr size_t kChunk = 16 * 1024;
// RFC 4978: raw deflate; the client may use zlib's largest window.
constexpr int kInflateWindowBits = -15;

}  // namespace

Compression::Compression() : inflater_(std::make_unique<z_stream>()) {
    *inflater_ = z_stream{};
    if (inflateInit2(inflater_.get(), kInflateWindowBits) != Z_OK) {
        inflater_.reset();
        throw std::runtime_error("zlib: inflateInit2 failed");
    }
}

Compression::~Compression() {
    if (inflater_) inflateEnd(inflater_.get());
    end_deflater();
}

bool Compression::inflate(InputBuffer& out, size_t limit) {
    char buffer[kChunk];
    while (!compressed_in_.empty() && out.size() < limit) {
        if (ended_) {
            error_ = "COMPRESS: data after the end of the deflate stream";
            return false;
        }
        std::string_view in = compressed_in_.view();
        inflater_->next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
        inflater_->avail_in = static_cast<uInt>(std::min<size_t>(in.size(), UINT32_MAX));
        size_t room = std::min(sizeof buffer, limit - out.size());
        inflater_->next_out = reinterpret_cast<Bytef*>(buffer);
        inflater_->avail_out = static_cast<uInt>(room);
        int rc = ::inflate(inflater_.get(), Z_SYNC_FLUSH);
        if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
            error_ = std::string("COMPRESS: corrupt deflate stream: ") + (inflater_->msg ? inflater_->msg : "?");
            return false;
        }
        size_t used = in.size() - inflater_->avail_in;
        size_t produced = room - inflater_->avail_out;
        // Consumed input without a line end is not progress for the idle
        // timer; the session's consumption of `out` is what counts.
        compressed_in_.consume(used);
        out.append(buffer, produced);
        if (rc == Z_STREAM_END) ended_ = true;
        if (used == 0 && produced == 0) break;  // needs more input
    }
    return true;
}

bool Compression::write(std::string_view data) {
    if (!deflater_) {
        deflater_ = std::make_unique<z_stream>();
        *deflater_ = z_stream{};
        if (deflateInit2(deflater_.get(), Z_DEFAULT_COMPRESSION, Z_DEFLATED, -kDeflateWindowBits, kDeflateMemLevel,
                         Z_DEFAULT_STRATEGY) != Z_OK) {
            deflater_.reset();
            error_ = "zlib: deflateInit2 failed";
            return false;
        }
    }
    deflater_->next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    deflater_->avail_in = static_cast<uInt>(data.size());
    return deflate(Z_NO_FLUSH, out_);
}

std::string Compression::flush() {
    if (deflater_) {
        deflater_->next_in = nullptr;
        deflater_->avail_in = 0;
        deflate(Z_SYNC_FLUSH, out_);
        end_deflater();
    }
    std::string out;
    out.swap(out_);
    return out;
}

bool Compression::deflate(int mode, std::string& out) {
    char buffer[kChunk];
    do {
        deflater_->next_out = reinterpret_cast<Bytef*>(buffer);
        deflater_->avail_out = sizeof buffer;
        int rc = ::deflate(deflater_.get(), mode);
        if (rc == Z_STREAM_ERROR) {
            error_ = "zlib: deflate failed";
            return false;
        }
        out.append(buffer, sizeof buffer - deflater_->avail_out);
    } while (deflater_->avail_out == 0 || deflater_->avail_in > 0);
    return true;
}

void Compression::end_deflater() {
    if (!deflater_) return;
    deflateEnd(deflater_.get());
    deflater_.reset();
}

}  // namespace pochta::net::detail
