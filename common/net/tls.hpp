// OpenSSL contexts: TLS 1.2 and newer only; servers offer ECDHE with AEAD
// ciphers only.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

typedef struct ssl_ctx_st SSL_CTX;

namespace pochta::net {

// Mozilla's "intermediate" server profile for TLS 1.2, without its DHE
// suites: ECDHE key exchange with AEAD ciphers only (no static RSA, no CBC).
// TLS 1.3 keeps OpenSSL's default suites (all of them ECDHE and AEAD).
inline constexpr const char* intermediate_tls12_ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

// What a server accepts (README "[tls] min_version" and "[tls] ciphers").
struct TlsPolicy {
    bool tls13_only = false;
    std::string tls12_ciphers;  // OpenSSL cipher list; "" = intermediate_tls12_ciphers
};

class TlsContext {
public:
    ~TlsContext();
    // Server context from a PEM chain and key. Throws std::runtime_error with
    // a readable reason (file name and OpenSSL's message; a cipher list
    // OpenSSL finds nothing in).
    static std::shared_ptr<TlsContext> server(const std::filesystem::path& cert_chain, const std::filesystem::path& key,
                                              const TlsPolicy& policy = {});
    // Client context for opportunistic TLS: verifies against the system CAs
    // but does not fail on a bad certificate (the result is reported).
    static std::shared_ptr<TlsContext> client();
    SSL_CTX* get() const { return ctx_; }

private:
    explicit TlsContext(SSL_CTX* ctx) : ctx_(ctx) {}
    SSL_CTX* ctx_;
};

}  // namespace pochta::net
