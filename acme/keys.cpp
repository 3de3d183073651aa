#include "acme/keys.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <ctime>
#include <stdexcept>

#include "common/util/strings.hpp"

namespace pochta::acme {
namespace {

template <typename T, void (*Free)(T*)>
struct Deleter {
    void operator()(T* p) const { Free(p); }
};
template <typename T, void (*Free)(T*)>
using Owned = std::unique_ptr<T, Deleter<T, Free>>;

void free_bio(BIO* bio) { BIO_free(bio); }
using BioPtr = Owned<BIO, free_bio>;
// The stack only: its extensions are owned elsewhere.
void free_extension_stack(STACK_OF(X509_EXTENSION) * stack) { sk_X509_EXTENSION_free(stack); }
using ExtStackPtr = Owned<STACK_OF(X509_EXTENSION), free_extension_stack>;
using BnPtr = Owned<BIGNUM, BN_free>;
using X509Ptr = Owned<X509, X509_free>;
using ReqPtr = Owned<X509_REQ, X509_REQ_free>;
using ExtPtr = Owned<X509_EXTENSION, X509_EXTENSION_free>;
using SigPtr = Owned<ECDSA_SIG, ECDSA_SIG_free>;
using MdCtxPtr = Owned<EVP_MD_CTX, EVP_MD_CTX_free>;

constexpr size_t kCoordinate = 32;  // P-256
// id-pe-acmeIdentifier (RFC 8737 section 6.1).
constexpr const char* kAcmeIdentifierOid = "1.3.6.1.5.5.7.1.31";

[[noreturn]] void fail(const std::string& what) {
    std::string reason;
    while (unsigned long e = ERR_get_error()) {
        if (!reason.empty()) reason += "; ";
        char buf[256];
        ERR_error_string_n(e, buf, sizeof buf);
        reason += buf;
    }
    throw std::runtime_error("ACME: " + what + (reason.empty() ? "" : ": " + reason));
}

std::string bio_text(BIO* bio) {
    char* data = nullptr;
    long n = BIO_get_mem_data(bio, &data);
    return std::string(data, n > 0 ? static_cast<size_t>(n) : 0);
}

std::string padded(const BIGNUM* bn) {
    std::string out(kCoordinate, '\0');
    if (BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), kCoordinate) != kCoordinate)
        fail("number does not fit 32 bytes");
    return out;
}

std::string sha256(std::string_view data) {
    std::string digest(SHA256_DIGEST_LENGTH, '\0');
    SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(),
           reinterpret_cast<unsigned char*>(digest.data()));
    return digest;
}

std::chrono::system_clock::time_point to_time_point(const ASN1_TIME* time) {
    std::tm tm{};
    if (ASN1_TIME_to_tm(time, &tm) != 1) fail("bad certificate time");
    return std::chrono::system_clock::from_time_t(timegm(&tm));
}

// "DNS:a,DNS:b" for X509V3_EXT_conf_nid; names are checked by the caller
// (config: host names only), so no comma can reach this list.
std::string san_list(const std::vector<std::string>& names) {
    std::string list;
    for (const auto& name : names) {
        if (name.find_first_of(",:") != std::string::npos) fail("bad name " + name);
        list += (list.empty() ? "DNS:" : ",DNS:") + name;
    }
    return list;
}

void set_common_name(X509_NAME* subject, const std::string& name) {
    if (X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(name.c_str()),
                                   -1, -1, 0) != 1)
        fail("cannot set the subject");
}

ExtPtr acme_identifier(std::string_view key_authorization) {
    // extnValue holds the DER of Authorization ::= OCTET STRING (SIZE (32)).
    std::string der = std::string("\x04\x20", 2) + sha256(key_authorization);
    Owned<ASN1_OCTET_STRING, ASN1_OCTET_STRING_free> value(ASN1_OCTET_STRING_new());
    Owned<ASN1_OBJECT, ASN1_OBJECT_free> oid(OBJ_txt2obj(kAcmeIdentifierOid, 1));
    if (!value || !oid ||
        ASN1_OCTET_STRING_set(value.get(), reinterpret_cast<const unsigned char*>(der.data()),
                              static_cast<int>(der.size())) != 1)
        fail("cannot build acmeIdentifier");
    ExtPtr ext(X509_EXTENSION_create_by_OBJ(nullptr, oid.get(), 1, value.get()));
    if (!ext) fail("cannot build acmeIdentifier");
    return ext;
}

}  // namespace

std::string base64url(std::string_view data) {
    std::string text = base64_encode(data);
    while (!text.empty() && text.back() == '=') text.pop_back();
    for (char& c : text) {
        if (c == '+') c = '-';
        if (c == '/') c = '_';
    }
    return text;
}

std::string json_string(std::string_view text) {
    std::string out = "\"";
    for (unsigned char c : text) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c < 0x20) {
            char buf[8];
            snprintf(buf, sizeof buf, "\\u%04x", c);
            out += buf;
        } else {
            out += static_cast<char>(c);
        }
    }
    return out + "\"";
}

EcKey EcKey::generate() {
    EVP_PKEY* key = EVP_EC_gen("P-256");
    if (!key) fail("cannot generate a P-256 key");
    return EcKey(key);
}

EcKey EcKey::from_pem(std::string_view pem) {
    BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    EVP_PKEY* key = bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr;
    if (!key) fail("cannot read the key");
    EcKey result(key);
    char group[64] = {};
    if (!EVP_PKEY_is_a(key, "EC") ||
        EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, nullptr) != 1 ||
        std::string_view(group) != "prime256v1")
        fail("the key is not an ECDSA P-256 key");
    return result;
}

EcKey::~EcKey() { EVP_PKEY_free(key_); }
EcKey::EcKey(EcKey&& other) noexcept : key_(other.key_) { other.key_ = nullptr; }
EcKey& EcKey::operator=(EcKey&& other) noexcept {
    std::swap(key_, other.key_);
    return *this;
}

std::string EcKey::private_pem() const {
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_PrivateKey(bio.get(), key_, nullptr, nullptr, 0, nullptr, nullptr) != 1)
        fail("cannot write the key");
    return bio_text(bio.get());
}

std::string EcKey::jwk() const {
    BIGNUM* x = nullptr;
    BIGNUM* y = nullptr;
    EVP_PKEY_get_bn_param(key_, OSSL_PKEY_PARAM_EC_PUB_X, &x);
    EVP_PKEY_get_bn_param(key_, OSSL_PKEY_PARAM_EC_PUB_Y, &y);
    BnPtr owned_x(x), owned_y(y);
    if (!x || !y) fail("cannot read the public key");
    return R"({"crv":"P-256","kty":"EC","x":")" + base64url(padded(x)) + R"(","y":")" + base64url(padded(y)) +
           R"("})";
}

std::string EcKey::thumbprint() const { return base64url(sha256(jwk())); }

std::string EcKey::sign_es256(std::string_view input) const {
    MdCtxPtr ctx(EVP_MD_CTX_new());
    size_t length = 0;
    if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key_) != 1 ||
        EVP_DigestSign(ctx.get(), nullptr, &length, reinterpret_cast<const unsigned char*>(input.data()),
                       input.size()) != 1)
        fail("cannot sign");
    std::string der(length, '\0');
    if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(der.data()), &length,
                       reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1)
        fail("cannot sign");
    const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
    SigPtr sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(length)));
    if (!sig) fail("cannot read the signature");
    // JWS wants R || S, not the DER sequence (RFC 7518 section 3.4).
    return base64url(padded(ECDSA_SIG_get0_r(sig.get())) + padded(ECDSA_SIG_get0_s(sig.get())));
}

std::string sign_request(const EcKey& key, std::string_view kid, std::string_view nonce, std::string_view url,
                         std::string_view payload) {
    std::string header = R"({"alg":"ES256",)" +
                         (kid.empty() ? R"("jwk":)" + key.jwk() : R"("kid":)" + json_string(kid)) +
                         R"(,"nonce":)" + json_string(nonce) + R"(,"url":)" + json_string(url) + "}";
    std::string protected64 = base64url(header);
    std::string payload64 = base64url(payload);
    std::string signature = key.sign_es256(protected64 + "." + payload64);
    return R"({"protected":")" + protected64 + R"(","payload":")" + payload64 + R"(","signature":")" + signature +
           R"("})";
}

std::string make_csr(const EcKey& key, const std::vector<std::string>& names) {
    if (names.empty()) fail("a CSR needs a name");
    ReqPtr req(X509_REQ_new());
    if (!req || X509_REQ_set_version(req.get(), 0) != 1) fail("cannot build the CSR");
    set_common_name(X509_REQ_get_subject_name(req.get()), names.front());
    ExtPtr san(X509V3_EXT_conf_nid(nullptr, nullptr, NID_subject_alt_name, san_list(names).c_str()));
    ExtStackPtr extensions(sk_X509_EXTENSION_new_null());
    if (!san || !extensions || !sk_X509_EXTENSION_push(extensions.get(), san.get())) fail("cannot build the CSR");
    if (X509_REQ_add_extensions(req.get(), extensions.get()) != 1 || X509_REQ_set_pubkey(req.get(), key.get()) != 1 ||
        X509_REQ_sign(req.get(), key.get(), EVP_sha256()) <= 0)
        fail("cannot build the CSR");
    int length = i2d_X509_REQ(req.get(), nullptr);
    std::string der(length > 0 ? static_cast<size_t>(length) : 0, '\0');
    unsigned char* p = reinterpret_cast<unsigned char*>(der.data());
    if (length <= 0 || i2d_X509_REQ(req.get(), &p) != length) fail("cannot encode the CSR");
    return der;
}

namespace {

std::string self_signed(const EcKey& key, const std::string& name, long valid_seconds, X509_EXTENSION* extra) {
    X509Ptr cert(X509_new());
    if (!cert || X509_set_version(cert.get(), 2) != 1) fail("cannot build a self-signed certificate");
    unsigned char serial[16];
    RAND_bytes(serial, sizeof serial);
    serial[0] &= 0x7f;
    BnPtr serial_bn(BN_bin2bn(serial, sizeof serial, nullptr));
    if (!serial_bn || !BN_to_ASN1_INTEGER(serial_bn.get(), X509_get_serialNumber(cert.get())))
        fail("cannot set the serial");
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), valid_seconds);
    set_common_name(X509_get_subject_name(cert.get()), name);
    X509_set_issuer_name(cert.get(), X509_get_subject_name(cert.get()));
    ExtPtr san(X509V3_EXT_conf_nid(nullptr, nullptr, NID_subject_alt_name, san_list({name}).c_str()));
    if (!san || X509_add_ext(cert.get(), san.get(), -1) != 1 || (extra && X509_add_ext(cert.get(), extra, -1) != 1) ||
        X509_set_pubkey(cert.get(), key.get()) != 1 || X509_sign(cert.get(), key.get(), EVP_sha256()) <= 0)
        fail("cannot build a self-signed certificate");
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_X509(bio.get(), cert.get()) != 1) fail("cannot write a self-signed certificate");
    return bio_text(bio.get());
}

}  // namespace

std::string validation_certificate(const EcKey& key, const std::string& name, std::string_view key_authorization) {
    return self_signed(key, name, 7 * 24 * 3600, acme_identifier(key_authorization).get());
}

std::string placeholder_certificate(const EcKey& key, const std::string& name) {
    return self_signed(key, name, 90L * 24 * 3600, nullptr);
}

namespace {

X509Ptr first_certificate(std::string_view pem) {
    BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    X509Ptr cert(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
    if (!cert) fail("no certificate");
    return cert;
}

}  // namespace

std::string certificate_der(std::string_view pem) {
    X509Ptr cert = first_certificate(pem);
    int length = i2d_X509(cert.get(), nullptr);
    std::string der(length > 0 ? static_cast<size_t>(length) : 0, '\0');
    unsigned char* p = reinterpret_cast<unsigned char*>(der.data());
    if (length <= 0 || i2d_X509(cert.get(), &p) != length) fail("cannot encode the certificate");
    return der;
}

CertificateInfo read_certificate(std::string_view pem) {
    X509Ptr cert = first_certificate(pem);
    CertificateInfo info;
    info.not_before = to_time_point(X509_get0_notBefore(cert.get()));
    info.not_after = to_time_point(X509_get0_notAfter(cert.get()));
    BnPtr serial(ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert.get()), nullptr));
    char* hex = serial ? BN_bn2hex(serial.get()) : nullptr;
    if (!hex) fail("cannot read the serial");
    info.serial_hex = to_lower(hex);
    OPENSSL_free(hex);
    size_t first = info.serial_hex.find_first_not_of('0');
    info.serial_hex = first == std::string::npos ? "0" : info.serial_hex.substr(first);
    info.self_signed = X509_check_issued(cert.get(), cert.get()) == X509_V_OK;
    Owned<GENERAL_NAMES, GENERAL_NAMES_free> sans(
        static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert.get(), NID_subject_alt_name, nullptr, nullptr)));
    for (int i = 0; sans && i < sk_GENERAL_NAME_num(sans.get()); ++i) {
        const GENERAL_NAME* entry = sk_GENERAL_NAME_value(sans.get(), i);
        if (entry->type != GEN_DNS) continue;
        const ASN1_IA5STRING* dns = entry->d.dNSName;
        info.names.push_back(to_lower(std::string_view(reinterpret_cast<const char*>(dns->data), dns->length)));
    }
    return info;
}

std::chrono::system_clock::time_point renewal_time(const CertificateInfo& info) {
    return info.not_before + (info.not_after - info.not_before) * 2 / 3;
}

}  // namespace pochta::acme
