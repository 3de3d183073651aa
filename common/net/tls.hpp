// OpenSSL contexts: TLS 1.2 and newer only; servers offer ECDHE with AEAD
// ciphers only.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

typedef struct ssl_ctx_st SSL_CTX;

namespace pochta::net {

// Mozilla's "intermediate" server profile for TLS 1.2, without its DHE
// suites: ECDHE key exchange with AEAD ciphers only (no static RSA, no CBC).
// TLS 1.3 keeps OpenSSL's default suites (all of them ECDHE and AEAD).
inline constexpr const char* intermediate_tls12_ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

// What a server accepts (README "[tls] min_version" and "[tls] ciphers").
struct TlsPolicy {
    bool tls13_only = false;
    std::string tls12_ciphers;  // OpenSSL cipher list; "" = intermediate_tls12_ciphers
};

class AcmeChallengeCertificates;

// Size, modification time and inode of the certificate and key files: a
// change in any of them means the files were replaced (README "TLS",
// certificates that change without a restart).
struct TlsFileStamp {
    std::uintmax_t cert_size = 0, key_size = 0;
    std::int64_t cert_mtime_ns = 0, key_mtime_ns = 0;
    std::uint64_t cert_inode = 0, key_inode = 0;
    bool operator==(const TlsFileStamp&) const = default;
};
// The stamp of the files now; a missing file counts as all zeros.
TlsFileStamp tls_file_stamp(const std::filesystem::path& cert_chain, const std::filesystem::path& key);

class TlsContext {
public:
    ~TlsContext();
    TlsContext(const TlsContext&) = delete;
    TlsContext& operator=(const TlsContext&) = delete;
    // Server context from a PEM chain and key. Throws std::runtime_error with
    // a readable reason (file name and OpenSSL's message; a cipher list
    // OpenSSL finds nothing in). `acme` (may be null) answers TLS-ALPN-01
    // validation handshakes (RFC 8737) with its certificates.
    static std::shared_ptr<TlsContext> server(const std::filesystem::path& cert_chain, const std::filesystem::path& key,
                                              const TlsPolicy& policy = {},
                                              std::shared_ptr<AcmeChallengeCertificates> acme = nullptr);
    // Client context for opportunistic TLS: verifies against the system CAs
    // but does not fail on a bad certificate (the result is reported).
    static std::shared_ptr<TlsContext> client();
    // Client context that fails the handshake unless the peer's certificate
    // verifies against `ca_file` (the system CAs when empty) and the SNI name.
    static std::shared_ptr<TlsContext> verifying_client(const std::filesystem::path& ca_file);

    // The context new sessions use. A session keeps the SSL_CTX it was
    // created with (OpenSSL counts references), so replace() never affects
    // a running session. Loop thread only, like replace().
    SSL_CTX* get() const { return ctx_; }

    // A server context loaded afresh from the same files with the same
    // policy; throws like server(). Safe on any thread (it reads files:
    // call it from a worker, then replace() on the loop).
    std::shared_ptr<TlsContext> reloaded() const;
    // Takes over `fresh`'s SSL_CTX for new sessions.
    void replace(TlsContext& fresh);
    // The stamp of the files as they were when last loaded.
    const TlsFileStamp& loaded_stamp() const { return stamp_; }
    const std::filesystem::path& cert_file() const { return cert_; }
    const std::filesystem::path& key_file() const { return key_; }

private:
    explicit TlsContext(SSL_CTX* ctx) : ctx_(ctx) {}
    SSL_CTX* ctx_;
    std::filesystem::path cert_, key_;
    TlsPolicy policy_;
    std::shared_ptr<AcmeChallengeCertificates> acme_;
    TlsFileStamp stamp_;
};

}  // namespace pochta::net
