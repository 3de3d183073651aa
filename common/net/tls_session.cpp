#include "common/net/tls_session.hpp"

#include <openssl/bio.h>
#include <openssl/buffer.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <stdexcept>

#include "common/net/connection.hpp"
#include "common/net/socket_address.hpp"

namespace pochta::net::detail {
namespace {
// Memory BIOs keep their largest allocation; above this an empty BIO is
// replaced so that an idle connection does not hold on to a burst's buffer.
constexpr size_t kKeepBioCapacity = 20 * 1024;
// Decryption chunk: one TLS record at most.
constexpr size_t kReadChunk = 16 * 1024;

bool is_ip_literal(const std::string& text) {
    sockaddr_storage ignored{};
    return make_sockaddr(text, 0, ignored);
}

}  // namespace

std::string openssl_error() {
    std::string reasons;
    while (unsigned long e = ERR_get_error()) {
        const char* reason = ERR_reason_error_string(e);
        char fallback[256];
        if (!reason) {
            ERR_error_string_n(e, fallback, sizeof fallback);
            reason = fallback;
        }
        if (reasons.find(reason) != std::string::npos) continue;
        if (!reasons.empty()) reasons += "; ";
        reasons += reason;
    }
    return reasons;
}

TlsSession::TlsSession(SSL_CTX* ctx, bool server, const std::string& sni) {
    ERR_clear_error();
    ssl_ = SSL_new(ctx);
    rbio_ = BIO_new(BIO_s_mem());
    wbio_ = BIO_new(BIO_s_mem());
    if (!ssl_ || !rbio_ || !wbio_) {
        std::string reason = openssl_error();
        BIO_free(rbio_);
        BIO_free(wbio_);
        SSL_free(ssl_);
        throw std::runtime_error("TLS: cannot create session: " + reason);
    }
    SSL_set_bio(ssl_, rbio_, wbio_);
    if (server) {
        SSL_set_accept_state(ssl_);
        return;
    }
    SSL_set_connect_state(ssl_);
    if (sni.empty()) return;
    if (is_ip_literal(sni)) {
        // RFC 6066 forbids IP literals in SNI; verify the address instead.
        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_), sni.c_str());
    } else {
        SSL_set_tlsext_host_name(ssl_, sni.c_str());
        SSL_set1_host(ssl_, sni.c_str());
    }
}

TlsSession::~TlsSession() { SSL_free(ssl_); }

void TlsSession::feed(const char* data, size_t n) {
    if (n > 0) BIO_write(rbio_, data, static_cast<int>(n));
}

TlsSession::Status TlsSession::fail(int ret, const char* during) {
    int err = SSL_get_error(ssl_, ret);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) return Status::want_more;
    if (err == SSL_ERROR_ZERO_RETURN) return Status::peer_closed;
    failed_ = true;
    std::string reason = openssl_error();
    if (reason.empty()) reason = err == SSL_ERROR_SYSCALL ? "unexpected end of stream" : "error " + std::to_string(err);
    error_ = std::string(during) + ": " + reason;
    return Status::failed;
}

TlsSession::Status TlsSession::handshake() {
    if (established_) return Status::ok;
    if (failed_) return Status::failed;
    ERR_clear_error();
    int ret = SSL_do_handshake(ssl_);
    if (ret == 1) {
        established_ = true;
        return Status::ok;
    }
    Status status = fail(ret, "TLS handshake");
    if (status == Status::peer_closed) {
        failed_ = true;
        error_ = "TLS handshake: peer closed";
        return Status::failed;
    }
    return status;
}

TlsSession::Status TlsSession::read(InputBuffer& out, size_t limit) {
    if (failed_) return Status::failed;
    char buf[kReadChunk];
    while (out.size() < limit) {
        ERR_clear_error();
        int n = SSL_read(ssl_, buf, sizeof buf);
        if (n > 0) {
            out.append(buf, static_cast<size_t>(n));
            continue;
        }
        return fail(n, "TLS read");
    }
    return Status::ok;
}

bool TlsSession::has_buffered_input() const { return SSL_has_pending(ssl_) || BIO_ctrl_pending(rbio_) > 0; }

bool TlsSession::write(std::string_view data) {
    if (failed_ || !established_) return false;
    while (!data.empty()) {
        ERR_clear_error();
        int chunk = static_cast<int>(std::min<size_t>(data.size(), 1 << 30));
        int n = SSL_write(ssl_, data.data(), chunk);
        if (n <= 0) {
            fail(n, "TLS write");
            failed_ = true;
            if (error_.empty()) error_ = "TLS write failed";
            return false;
        }
        data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
}

void TlsSession::shutdown() {
    if (!established_ || failed_) return;
    ERR_clear_error();
    SSL_shutdown(ssl_);
    ERR_clear_error();
}

std::string TlsSession::take_output() {
    std::string out;
    size_t pending = BIO_ctrl_pending(wbio_);
    if (pending == 0) return out;
    out.resize(pending);
    int n = BIO_read(wbio_, out.data(), static_cast<int>(pending));
    out.resize(n > 0 ? static_cast<size_t>(n) : 0);
    return out;
}

void TlsSession::trim() {
    BUF_MEM* mem = nullptr;
    if (BIO_ctrl_pending(rbio_) == 0 && BIO_get_mem_ptr(rbio_, &mem) > 0 && mem && mem->max > kKeepBioCapacity) {
        if (BIO* fresh = BIO_new(BIO_s_mem())) {
            SSL_set0_rbio(ssl_, fresh);  // frees the old one
            rbio_ = fresh;
        }
    }
    mem = nullptr;
    if (BIO_ctrl_pending(wbio_) == 0 && BIO_get_mem_ptr(wbio_, &mem) > 0 && mem && mem->max > kKeepBioCapacity) {
        if (BIO* fresh = BIO_new(BIO_s_mem())) {
            SSL_set0_wbio(ssl_, fresh);
            wbio_ = fresh;
        }
    }
}

std::string TlsSession::description() const {
    if (!established_) return "";
    return std::string(SSL_get_version(ssl_)) + " " + SSL_get_cipher_name(ssl_);
}

std::string_view TlsSession::alpn() const {
    const unsigned char* protocol = nullptr;
    unsigned int length = 0;
    SSL_get0_alpn_selected(ssl_, &protocol, &length);
    return protocol ? std::string_view(reinterpret_cast<const char*>(protocol), length) : std::string_view();
}

bool TlsSession::peer_verified() const {
    return established_ && SSL_get0_peer_certificate(ssl_) != nullptr && SSL_get_verify_result(ssl_) == X509_V_OK;
}

}  // namespace pochta::net::detail
