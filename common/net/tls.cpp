#include "common/net/tls.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <sys/stat.h>

#include <stdexcept>

#include "common/net/acme_challenge.hpp"
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

void stamp_file(const std::filesystem::path& file, std::uintmax_t& size, std::int64_t& mtime_ns,
                std::uint64_t& inode) {
    struct stat st {};
    if (::stat(file.c_str(), &st) != 0) return;
    size = static_cast<std::uintmax_t>(st.st_size);
    mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
    inode = static_cast<std::uint64_t>(st.st_ino);
}

}  // namespace

TlsFileStamp tls_file_stamp(const std::filesystem::path& cert_chain, const std::filesystem::path& key) {
    TlsFileStamp stamp;
    stamp_file(cert_chain, stamp.cert_size, stamp.cert_mtime_ns, stamp.cert_inode);
    stamp_file(key, stamp.key_size, stamp.key_mtime_ns, stamp.key_inode);
    return stamp;
}

TlsContext::~TlsContext() { SSL_CTX_free(ctx_); }

std::shared_ptr<TlsContext> TlsContext::reloaded() const { return server(cert_, key_, policy_, acme_); }

void TlsContext::replace(TlsContext& fresh) {
    std::swap(ctx_, fresh.ctx_);
    stamp_ = fresh.stamp_;
}

std::shared_ptr<TlsContext> TlsContext::server(const std::filesystem::path& cert_chain,
                                               const std::filesystem::path& key, const TlsPolicy& policy,
                                               std::shared_ptr<AcmeChallengeCertificates> acme) {
    ERR_clear_error();
    std::shared_ptr<TlsContext> result(new TlsContext(new_context(TLS_server_method())));
    // Stamped before reading: a file replaced while it is read differs from
    // the stamp, and the next check loads it again.
    result->stamp_ = tls_file_stamp(cert_chain, key);
    result->cert_ = cert_chain;
    result->key_ = key;
    result->policy_ = policy;
    result->acme_ = acme;
    SSL_CTX* ctx = result->ctx_;
    if (acme) acme->install(ctx);
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

std::shared_ptr<TlsContext> TlsContext::verifying_client(const std::filesystem::path& ca_file) {
    ERR_clear_error();
    std::shared_ptr<TlsContext> result(new TlsContext(new_context(TLS_client_method())));
    int loaded = ca_file.empty() ? SSL_CTX_set_default_verify_paths(result->ctx_)
                                 : SSL_CTX_load_verify_locations(result->ctx_, ca_file.c_str(), nullptr);
    if (loaded != 1) throw std::runtime_error(ca_file.string() + ": " + detail::openssl_error());
    SSL_CTX_set_verify(result->ctx_, SSL_VERIFY_PEER, nullptr);
    return result;
}

}  // namespace pochta::net
