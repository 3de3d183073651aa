// The ACME client's cryptography (README.md, "ACME certificates"): ECDSA
// P-256 keys, JWS ES256 signatures (RFC 7515, RFC 7518 section 3.4), the
// JWK thumbprint (RFC 7638), CSRs, the TLS-ALPN-01 validation certificate
// (RFC 8737) and what the client needs to know of an issued certificate.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

typedef struct evp_pkey_st EVP_PKEY;

namespace pochta::acme {

// base64url without padding (RFC 7515 section 2).
std::string base64url(std::string_view data);

// Characters that need no escaping in a JSON string are copied; the others
// are escaped. Returns the quoted string.
std::string json_string(std::string_view text);

class EcKey {
public:
    // A new P-256 key. Throws std::runtime_error.
    static EcKey generate();
    // A PEM private key (PKCS#8 or SEC1) of curve P-256; throws otherwise.
    static EcKey from_pem(std::string_view pem);
    ~EcKey();
    EcKey(EcKey&& other) noexcept;
    EcKey& operator=(EcKey&& other) noexcept;

    std::string private_pem() const;
    // {"crv":"P-256","kty":"EC","x":"...","y":"..."}: the members in the
    // lexicographic order RFC 7638 requires for the thumbprint.
    std::string jwk() const;
    // base64url(SHA-256(jwk())).
    std::string thumbprint() const;
    // ES256 over `input`: base64url of R || S, 32 bytes each.
    std::string sign_es256(std::string_view input) const;
    EVP_PKEY* get() const { return key_; }

private:
    explicit EcKey(EVP_PKEY* key) : key_(key) {}
    EVP_PKEY* key_ = nullptr;
};

// A flattened JWS JSON object (RFC 8555 section 6.2): protected header with
// alg ES256, the nonce and url, and `kid` when given, else the `jwk`.
// An empty `payload` is a POST-as-GET (RFC 8555 section 6.3).
std::string sign_request(const EcKey& key, std::string_view kid, std::string_view nonce, std::string_view url,
                         std::string_view payload);

// DER CSR for `names` (the first is also the subject CN) signed by `key`.
std::string make_csr(const EcKey& key, const std::vector<std::string>& names);

// A self-signed certificate for `name` with the critical acmeIdentifier
// extension holding SHA-256 of `key_authorization` (RFC 8737 section 3),
// as PEM; signed by and for `key`.
std::string validation_certificate(const EcKey& key, const std::string& name, std::string_view key_authorization);

// A self-signed certificate for `name` valid 90 days, as PEM: what the
// listeners use until the first certificate is issued.
std::string placeholder_certificate(const EcKey& key, const std::string& name);

struct CertificateInfo {
    std::chrono::system_clock::time_point not_before, not_after;
    std::string serial_hex;  // lower case, no leading zeros
    bool self_signed = false;
    std::vector<std::string> names;  // DNS subjectAltNames, lower case
};
// The first certificate of a PEM chain; throws std::runtime_error when none parses.
CertificateInfo read_certificate(std::string_view pem);

// The DER of the first certificate of a PEM chain; throws like read_certificate().
std::string certificate_der(std::string_view pem);

// The point of a certificate's life when it is renewed: two thirds of the
// way from not_before to not_after.
std::chrono::system_clock::time_point renewal_time(const CertificateInfo& info);

}  // namespace pochta::acme
