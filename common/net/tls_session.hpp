// Internal to common/net: one TLS session over memory BIOs. The connection
// moves ciphertext between the socket and the BIOs; this class only talks
// to OpenSSL and never blocks.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

typedef struct ssl_st SSL;
typedef struct ssl_ctx_st SSL_CTX;
typedef struct bio_st BIO;

namespace pochta::net {
class InputBuffer;
}

namespace pochta::net::detail {

// The reasons queued by OpenSSL on this thread ("" if none), then cleared.
std::string openssl_error();

class TlsSession {
public:
    // Throws std::runtime_error when OpenSSL cannot allocate the session.
    TlsSession(SSL_CTX* ctx, bool server, const std::string& sni);
    ~TlsSession();
    TlsSession(const TlsSession&) = delete;
    TlsSession& operator=(const TlsSession&) = delete;

    // Ciphertext from the socket.
    void feed(const char* data, size_t n);

    enum class Status { ok, want_more, peer_closed, failed };
    // Advances the handshake: ok when finished, want_more while waiting for
    // the peer, failed (see error()) otherwise.
    Status handshake();
    bool established() const { return established_; }

    // Decrypts into `out` until it holds at least `limit` bytes or no more
    // ciphertext is available. ok = stopped at the limit.
    Status read(InputBuffer& out, size_t limit);
    // Plaintext or ciphertext not yet decrypted into an InputBuffer.
    bool has_buffered_input() const;

    // Encrypts; false on failure (see error()).
    bool write(std::string_view data);
    // Queues close_notify (only after a successful handshake).
    void shutdown();
    // Ciphertext waiting for the socket; empties the write BIO.
    std::string take_output();

    // Drops memory BIO buffers that grew during a burst but are now empty.
    void trim();

    std::string description() const;
    // The protocol agreed by ALPN, "" when none.
    std::string_view alpn() const;
    bool peer_verified() const;
    const std::string& error() const { return error_; }

private:
    Status fail(int ret, const char* during);
    SSL* ssl_ = nullptr;
    BIO* rbio_ = nullptr;  // owned by ssl_
    BIO* wbio_ = nullptr;  // owned by ssl_
    bool established_ = false;
    bool failed_ = false;
    std::string error_;
};

}  // namespace pochta::net::detail
