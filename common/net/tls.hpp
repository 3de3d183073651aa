// OpenSSL contexts: TLS 1.2 and newer only.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

typedef struct ssl_ctx_st SSL_CTX;

namespace pochta::net {

class TlsContext {
public:
    ~TlsContext();
    // Server context from a PEM chain and key. Throws std::runtime_error with
    // a readable reason (file name and OpenSSL's message).
    static std::shared_ptr<TlsContext> server(const std::filesystem::path& cert_chain, const std::filesystem::path& key);
    // Client context for opportunistic TLS: verifies against the system CAs
    // but does not fail on a bad certificate (the result is reported).
    static std::shared_ptr<TlsContext> client();
    SSL_CTX* get() const { return ctx_; }

private:
    explicit TlsContext(SSL_CTX* ctx) : ctx_(ctx) {}
    SSL_CTX* ctx_;
};

}  // namespace pochta::net
