#include "common/net/acme_challenge.hpp"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <stdexcept>

#include "common/net/tls_session.hpp"
#include "common/util/strings.hpp"

namespace pochta::net {

struct AcmeChallengeCertificates::Entry {
    X509* cert = nullptr;
    EVP_PKEY* key = nullptr;
    ~Entry() {
        X509_free(cert);
        EVP_PKEY_free(key);
    }
};

namespace {

// Marks an SSL whose ClientHello offered acme-tls/1.
int offer_index() {
    static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
    return index;
}
char offered_marker;

bool offered_acme(SSL* ssl) { return SSL_get_ex_data(ssl, offer_index()) == &offered_marker; }

std::string lower_name(std::string_view name) { return to_lower(name); }

template <typename T, typename Read>
T* read_pem(std::string_view pem, Read read, const char* what) {
    BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
    T* value = bio ? read(bio, nullptr, nullptr, nullptr) : nullptr;
    BIO_free(bio);
    if (!value) throw std::runtime_error(std::string("ACME validation ") + what + ": " + detail::openssl_error());
    return value;
}

}  // namespace

bool alpn_list_offers(std::string_view list, std::string_view protocol) {
    while (!list.empty()) {
        size_t length = static_cast<unsigned char>(list[0]);
        if (length == 0 || length + 1 > list.size()) return false;
        if (list.substr(1, length) == protocol) return true;
        list.remove_prefix(length + 1);
    }
    return false;
}

AcmeChallengeCertificates::AcmeChallengeCertificates() = default;
AcmeChallengeCertificates::~AcmeChallengeCertificates() = default;

void AcmeChallengeCertificates::set(const std::string& name, std::string_view cert_pem, std::string_view key_pem) {
    auto entry = std::make_shared<Entry>();
    entry->cert = read_pem<X509>(cert_pem, PEM_read_bio_X509, "certificate");
    entry->key = read_pem<EVP_PKEY>(key_pem, PEM_read_bio_PrivateKey, "key");
    std::lock_guard lock(mutex_);
    by_name_[lower_name(name)] = std::move(entry);
}

void AcmeChallengeCertificates::remove(const std::string& name) {
    std::lock_guard lock(mutex_);
    by_name_.erase(lower_name(name));
}

bool AcmeChallengeCertificates::has(const char* name) const {
    if (!name) return false;
    std::lock_guard lock(mutex_);
    return by_name_.count(lower_name(name)) > 0;
}

bool AcmeChallengeCertificates::use_for(SSL* ssl, const char* name) const {
    if (!name) return false;
    std::shared_ptr<Entry> entry;
    {
        std::lock_guard lock(mutex_);
        auto it = by_name_.find(lower_name(name));
        if (it == by_name_.end()) return false;
        entry = it->second;
    }
    // Only the validation certificate: without this an RSA certificate of
    // the server could still be chosen beside the ECDSA one put here.
    SSL_certs_clear(ssl);
    return SSL_use_certificate(ssl, entry->cert) == 1 && SSL_use_PrivateKey(ssl, entry->key) == 1;
}

int AcmeChallengeCertificates::on_client_hello(SSL* ssl, int*, void*) {
    const unsigned char* ext = nullptr;
    size_t length = 0;
    if (SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_application_layer_protocol_negotiation, &ext, &length) &&
        length >= 2) {
        size_t list_length = (size_t{ext[0]} << 8) | ext[1];
        std::string_view list(reinterpret_cast<const char*>(ext) + 2, length - 2);
        if (list_length == list.size() && alpn_list_offers(list, acme_tls_alpn_protocol))
            SSL_set_ex_data(ssl, offer_index(), &offered_marker);
    }
    return SSL_CLIENT_HELLO_SUCCESS;
}

int AcmeChallengeCertificates::on_certificate(SSL* ssl, void* self) {
    // Without a validation certificate for the name the handshake goes on
    // with the server's own, and on_alpn declines acme-tls/1.
    if (offered_acme(ssl))
        static_cast<AcmeChallengeCertificates*>(self)->use_for(ssl,
                                                               SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name));
    return 1;
}

int AcmeChallengeCertificates::on_alpn(SSL* ssl, const unsigned char** out, unsigned char* out_len,
                                       const unsigned char*, unsigned int, void* self) {
    static const unsigned char protocol[] = "acme-tls/1";
    if (!offered_acme(ssl) ||
        !static_cast<AcmeChallengeCertificates*>(self)->has(SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name)))
        return SSL_TLSEXT_ERR_NOACK;
    *out = protocol;
    *out_len = sizeof protocol - 1;
    return SSL_TLSEXT_ERR_OK;
}

void AcmeChallengeCertificates::install(SSL_CTX* ctx) {
    SSL_CTX_set_client_hello_cb(ctx, on_client_hello, this);
    SSL_CTX_set_cert_cb(ctx, on_certificate, this);
    SSL_CTX_set_alpn_select_cb(ctx, on_alpn, this);
}

}  // namespace pochta::net
