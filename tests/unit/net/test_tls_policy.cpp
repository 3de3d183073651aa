// The server's TLS policy (README "[tls] min_version" and "[tls] ciphers").
#include <catch2/catch.hpp>

#include <openssl/ssl.h>

#include <string>

#include "common/net/tls.hpp"
#include "tests/unit/net/net_test_support.hpp"

using namespace pochta::net;

namespace {

// The TLS 1.2 suites a context would offer.
std::string tls12_suites(const TlsContext& ctx) {
    SSL* ssl = SSL_new(ctx.get());
    std::string names;
    STACK_OF(SSL_CIPHER)* ciphers = SSL_get_ciphers(ssl);
    for (int i = 0; i < sk_SSL_CIPHER_num(ciphers); ++i) {
        const SSL_CIPHER* c = sk_SSL_CIPHER_value(ciphers, i);
        std::string name = SSL_CIPHER_get_name(c);
        if (name.rfind("TLS_", 0) != 0) names += name + ":";  // TLS 1.3 suites are named TLS_*
    }
    SSL_free(ssl);
    return names;
}

}  // namespace

TEST_CASE("TLS 1.2 offers ECDHE with AEAD ciphers only by default", "[net][tls]") {
    test::SelfSignedCert cert;
    auto ctx = TlsContext::server(cert.cert, cert.key);
    std::string suites = tls12_suites(*ctx);
    CHECK_FALSE(suites.empty());
    size_t start = 0;
    for (size_t end = suites.find(':'); end != std::string::npos; start = end + 1, end = suites.find(':', start)) {
        std::string name = suites.substr(start, end - start);
        INFO(name);
        CHECK(name.rfind("ECDHE-", 0) == 0);
        CHECK((name.find("GCM") != std::string::npos || name.find("CHACHA20-POLY1305") != std::string::npos));
    }
    CHECK(SSL_CTX_get_min_proto_version(ctx->get()) == TLS1_2_VERSION);
}

TEST_CASE("the TLS policy sets the minimum version and the list", "[net][tls]") {
    test::SelfSignedCert cert;
    auto only13 = TlsContext::server(cert.cert, cert.key, TlsPolicy{.tls13_only = true, .tls12_ciphers = ""});
    CHECK(SSL_CTX_get_min_proto_version(only13->get()) == TLS1_3_VERSION);
    auto one = TlsContext::server(cert.cert, cert.key,
                                  TlsPolicy{.tls13_only = false, .tls12_ciphers = "ECDHE-ECDSA-AES256-GCM-SHA384"});
    CHECK(tls12_suites(*one) == "ECDHE-ECDSA-AES256-GCM-SHA384:");
    CHECK_THROWS_WITH(TlsContext::server(cert.cert, cert.key, TlsPolicy{.tls13_only = false, .tls12_ciphers = "NOPE"}),
                      Catch::Contains("tls.ciphers \"NOPE\""));
}
