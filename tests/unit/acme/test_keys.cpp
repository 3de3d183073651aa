#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <catch2/catch.hpp>

#include "acme/http_tokens.hpp"
#include "acme/keys.hpp"
#include "acme/manager.hpp"
#include "common/net/acme_challenge.hpp"
#include "common/util/json.hpp"
#include "common/util/strings.hpp"

using namespace pochta;
using namespace pochta::acme;

namespace {

std::string from_base64url(std::string text) {
    for (char& c : text) c = c == '-' ? '+' : c == '_' ? '/' : c;
    while (text.size() % 4) text += '=';
    auto decoded = base64_decode(text);
    REQUIRE(decoded);
    return *decoded;
}

// OpenSSL's verdict on an ES256 JWS signature (R || S) over `input`.
bool verifies(const EcKey& key, const std::string& input, const std::string& signature64) {
    std::string raw = from_base64url(signature64);
    REQUIRE(raw.size() == 64);
    ECDSA_SIG* sig = ECDSA_SIG_new();
    ECDSA_SIG_set0(sig, BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()), 32, nullptr),
                   BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()) + 32, 32, nullptr));
    unsigned char* der = nullptr;
    int der_length = i2d_ECDSA_SIG(sig, &der);
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    bool ok = EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, key.get()) == 1 &&
              EVP_DigestVerify(ctx, der, static_cast<size_t>(der_length),
                               reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
    EVP_MD_CTX_free(ctx);
    OPENSSL_free(der);
    ECDSA_SIG_free(sig);
    return ok;
}

using namespace std::chrono;

CertificateInfo lifetime(system_clock::time_point start, hours length) {
    CertificateInfo info;
    info.not_before = start;
    info.not_after = start + length;
    info.names = {"mx.example.test"};
    return info;
}

}  // namespace

TEST_CASE("base64url has no padding and the URL-safe alphabet") {
    CHECK(base64url("") == "");
    CHECK(base64url("\xfb\xff") == "-_8");
    CHECK(base64url("ab") == "YWI");
    CHECK(json_string("a\"b\\c\n") == R"("a\"b\\c\u000a")");
}

TEST_CASE("a signed request is a flattened JWS whose ES256 signature verifies") {
    EcKey key = EcKey::generate();
    std::string jws = sign_request(key, "", "nonce-1", "https://ca/new-acct", R"({"termsOfServiceAgreed":true})");
    auto json = parse_json(jws);
    REQUIRE(json);
    std::string protected64 = json->find("protected")->string, payload64 = json->find("payload")->string;
    auto header = parse_json(from_base64url(protected64));
    REQUIRE(header);
    CHECK(header->find("alg")->string == "ES256");
    CHECK(header->find("nonce")->string == "nonce-1");
    CHECK(header->find("url")->string == "https://ca/new-acct");
    CHECK(header->find("jwk")->find("crv")->string == "P-256");
    CHECK(header->find("kid") == nullptr);
    CHECK(from_base64url(payload64) == R"({"termsOfServiceAgreed":true})");
    CHECK(verifies(key, protected64 + "." + payload64, json->find("signature")->string));

    // With a kid, and as POST-as-GET (empty payload).
    auto get = parse_json(sign_request(key, "https://ca/acct/7", "n2", "https://ca/order/1", ""));
    REQUIRE(get);
    CHECK(get->find("payload")->string.empty());
    auto get_header = parse_json(from_base64url(get->find("protected")->string));
    CHECK(get_header->find("kid")->string == "https://ca/acct/7");
    CHECK(get_header->find("jwk") == nullptr);
}

TEST_CASE("the account key survives PEM and keeps its thumbprint") {
    EcKey key = EcKey::generate();
    EcKey again = EcKey::from_pem(key.private_pem());
    CHECK(again.jwk() == key.jwk());
    CHECK(again.thumbprint() == key.thumbprint());
    CHECK(key.thumbprint().size() == 43);  // base64url of 32 bytes
    CHECK_THROWS(EcKey::from_pem("not a key"));
}

TEST_CASE("the validation certificate carries the critical acmeIdentifier of the key authorization") {
    EcKey key = EcKey::generate();
    std::string pem = validation_certificate(key, "mx.example.test", "token.thumb");
    BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
    X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    REQUIRE(cert);
    ASN1_OBJECT* oid = OBJ_txt2obj("1.3.6.1.5.5.7.1.31", 1);
    int index = X509_get_ext_by_OBJ(cert, oid, -1);
    REQUIRE(index >= 0);
    X509_EXTENSION* ext = X509_get_ext(cert, index);
    CHECK(X509_EXTENSION_get_critical(ext) == 1);
    const ASN1_OCTET_STRING* value = X509_EXTENSION_get_data(ext);
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>("token.thumb"), 11, digest);
    std::string expected = std::string("\x04\x20", 2) + std::string(reinterpret_cast<char*>(digest), sizeof digest);
    CHECK(std::string(reinterpret_cast<const char*>(value->data), value->length) == expected);
    ASN1_OBJECT_free(oid);
    X509_free(cert);

    CertificateInfo info = read_certificate(pem);
    CHECK(info.self_signed);
    CHECK(info.names == std::vector<std::string>{"mx.example.test"});
    // The serial as pebble and openssl print it: lower-case hex without leading zeros.
    CHECK(info.serial_hex.find_first_not_of("0123456789abcdef") == std::string::npos);
    CHECK(info.serial_hex[0] != '0');
}

TEST_CASE("a CSR names every name in its subjectAltName") {
    EcKey key = EcKey::generate();
    std::string der = make_csr(key, {"mx.example.test", "autoconfig.example.test"});
    const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
    X509_REQ* req = d2i_X509_REQ(nullptr, &p, static_cast<long>(der.size()));
    REQUIRE(req);
    CHECK(X509_REQ_verify(req, key.get()) == 1);
    STACK_OF(X509_EXTENSION)* extensions = X509_REQ_get_extensions(req);
    REQUIRE(extensions);
    CHECK(sk_X509_EXTENSION_num(extensions) == 1);
    sk_X509_EXTENSION_pop_free(extensions, X509_EXTENSION_free);
    X509_REQ_free(req);
    CHECK_THROWS(make_csr(key, {"a,DNS:evil.example"}));
}

TEST_CASE("renewal comes at two thirds of the lifetime, or at once for a missing or wrong certificate") {
    auto start = system_clock::now() - hours(24 * 10);
    CertificateInfo ninety_days = lifetime(start, hours(24 * 90));
    CHECK(renewal_time(ninety_days) == start + hours(24 * 60));
    std::vector<std::string> names{"mx.example.test"};
    CHECK(renewal_reason(ninety_days, names, start + hours(24 * 59)).empty());
    CHECK(renewal_reason(ninety_days, names, start + hours(24 * 60)) == "two thirds of its lifetime have passed");
    CHECK(renewal_reason(std::nullopt, names, start) == "no certificate yet");
    CHECK(renewal_reason(ninety_days, {"mx.example.test", "mta-sts.example.test"}, start) ==
          "the certificate does not cover mta-sts.example.test");
    ninety_days.self_signed = true;
    CHECK(renewal_reason(ninety_days, names, start) == "only the self-signed placeholder so far");
}

TEST_CASE("ALPN lists: the wire form is walked within its bounds") {
    using pochta::net::alpn_list_offers;
    std::string list = std::string("\x02h2\x08http/1.1\x0a") + "acme-tls/1";
    CHECK(alpn_list_offers(list, "acme-tls/1"));
    CHECK(alpn_list_offers(list, "h2"));
    CHECK_FALSE(alpn_list_offers(list, "http/1.0"));
    CHECK_FALSE(alpn_list_offers(std::string("\x0b") + "acme-tls/1", "acme-tls/1"));  // length past the end
    CHECK_FALSE(alpn_list_offers(std::string("\x00\x0a", 2) + "acme-tls/1", "acme-tls/1"));  // empty name
    CHECK_FALSE(alpn_list_offers("", "acme-tls/1"));
}

TEST_CASE("HTTP-01 answers: set, found by exact token, withdrawn") {
    Http01Tokens tokens;
    tokens.set("tok-1", "tok-1.thumb");
    CHECK(tokens.lookup("tok-1") == std::optional<std::string>("tok-1.thumb"));
    CHECK_FALSE(tokens.lookup("TOK-1"));
    CHECK_FALSE(tokens.lookup(""));
    tokens.remove("tok-1");
    CHECK_FALSE(tokens.lookup("tok-1"));
}
