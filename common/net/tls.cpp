#include "common/net/tls.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <stdexcept>

#include "common/net/tls_session.hpp"

namespace pochta::net {
namespace {

// Settings shared by both sides: TLS 1.2 and newer, no compression (CRIME),
// no renegotiation, and small buffers for idle connections.
SSL_CTX* new_context(const SSL_METHOD* method) {
    SSL_CTX* ctx = SSL_CTX_new(method);
    if (!ctx) throw std::runtime_error("TLS: cannot create context: " + detail::openssl_error());
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    return ctx;
}

// TLS 1.2 restricted to the policy's list (README "[tls] ciphers"): by
// default no static-RSA key exchange and no CBC suites.
void apply_policy(SSL_CTX* ctx, const TlsPolicy& policy) {
    if (policy.tls13_only) SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
    const std::string& list = policy.tls12_ciphers.empty() ? intermediate_tls12_ciphers : policy.tls12_ciphers;
    if (SSL_CTX_set_cipher_list(ctx, list.c_str()) != 1)
        throw std::runtime_error("tls.ciphers \"" + list + "\": no cipher OpenSSL knows: " + detail::openssl_error());
}

}  // namespace

TlsContext::~TlsContext() { SSL_CTX_free(ctx_); }

std::shared_ptr<TlsContext> TlsContext::server(const std::filesystem::path& cert_chain,
                                               const std::filesystem::path& key, const TlsPolicy& policy) {
    ERR_clear_error();
    std::shared_ptr<TlsContext> result(new TlsContext(new_context(TLS_server_method())));
    SSL_CTX* ctx = result->ctx_;
    SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);
    apply_policy(ctx, policy);
    static const unsigned char session_context[] = "pochta";
    SSL_CTX_set_session_id_context(ctx, session_context, sizeof session_context - 1);
    if (SSL_CTX_use_certificate_chain_file(ctx, cert_chain.c_str()) != 1)
        throw std::runtime_error(cert_chain.string() + ": " + detail::openssl_error());
    auto mismatch = [&] {
        return std::runtime_error(key.string() + ": key does not match certificate " + cert_chain.string());
    };
    if (SSL_CTX_use_PrivateKey_file(ctx, key.c_str(), SSL_FILETYPE_PEM) != 1) {
        // OpenSSL compares the key with the certificate already loaded.
        if (ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH) {
            ERR_clear_error();
            throw mismatch();
        }
        throw std::runtime_error(key.string() + ": " + detail::openssl_error());
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
        ERR_clear_error();
        throw mismatch();
    }
    return result;
}

std::shared_ptr<TlsContext> TlsContext::client() {
    ERR_clear_error();
    std::shared_ptr<TlsContext> result(new TlsContext(new_context(TLS_client_method())));
    // Opportunistic TLS: a bad certificate must not stop delivery, so the
    // handshake never fails on verification; the verdict is still computed
    // against the system CAs and reported through tls_peer_verified().
    SSL_CTX_set_default_verify_paths(result->ctx_);
    SSL_CTX_set_verify(result->ctx_, SSL_VERIFY_NONE, nullptr);
    return result;
}

}  // namespace pochta::net
