// A self-signed certificate for tests that need TLS: a fresh temporary
// folder with cert.pem (EC P-256, valid for an hour) and key.pem, removed
// by the destructor.
#pragma once

#include <filesystem>
#include <string>

namespace pochta::tls_test {

struct SelfSignedCert {
    explicit SelfSignedCert(const std::string& common_name = "localhost");
    ~SelfSignedCert();
    SelfSignedCert(const SelfSignedCert&) = delete;
    SelfSignedCert& operator=(const SelfSignedCert&) = delete;
    std::filesystem::path dir, cert, key;
};

}  // namespace pochta::tls_test
