// TLS-ALPN-01 (RFC 8737) on the server's TLS listeners: while an ACME
// order is validated, a handshake that offers ALPN "acme-tls/1" for a name
// under validation gets that name's self-signed validation certificate
// instead of the server's, and the connection ends after the handshake
// (README "ACME certificates").
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

typedef struct ssl_st SSL;
typedef struct ssl_ctx_st SSL_CTX;
typedef struct x509_st X509;
typedef struct evp_pkey_st EVP_PKEY;

namespace pochta::net {

inline constexpr std::string_view acme_tls_alpn_protocol = "acme-tls/1";

// Whether an ALPN protocol name list in its wire form (RFC 7301 section 3.1,
// without the list's own length prefix) names `protocol`. A malformed list
// names nothing past the point where it breaks.
bool alpn_list_offers(std::string_view list, std::string_view protocol);

// The validation certificates by name. Thread-safe; the OpenSSL callbacks
// read it during handshakes on the loop.
class AcmeChallengeCertificates {
public:
    AcmeChallengeCertificates();
    ~AcmeChallengeCertificates();
    AcmeChallengeCertificates(const AcmeChallengeCertificates&) = delete;
    AcmeChallengeCertificates& operator=(const AcmeChallengeCertificates&) = delete;

    // PEM certificate and private key for `name` (any case), replacing an
    // earlier one. Throws std::runtime_error when either does not parse.
    void set(const std::string& name, std::string_view cert_pem, std::string_view key_pem);
    void remove(const std::string& name);

    // Hooks a server context: ClientHello (notes an acme-tls/1 offer),
    // certificate selection and ALPN selection. The context must not
    // outlive this object (TlsContext holds both).
    void install(SSL_CTX* ctx);

    struct Entry;

private:
    // Puts the certificate and key for `name` on `ssl`; false when none.
    bool use_for(SSL* ssl, const char* name) const;
    bool has(const char* name) const;
    static int on_client_hello(SSL* ssl, int* alert, void* self);
    static int on_certificate(SSL* ssl, void* self);
    static int on_alpn(SSL* ssl, const unsigned char** out, unsigned char* out_len, const unsigned char* in,
                       unsigned int in_len, void* self);

    mutable std::mutex mutex_;
    std::map<std::string, std::shared_ptr<Entry>> by_name_;  // lower-case names
};

}  // namespace pochta::net
