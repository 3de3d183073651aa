// TLS on a Connection: STARTTLS (both sides) and implicit TLS, driven
// incrementally by the bytes the socket delivers.
#include "common/net/acme_challenge.hpp"
#include "common/net/connection_private.hpp"

namespace pochta::net {

void Connection::start_tls_server(std::shared_ptr<TlsContext> ctx, std::function<void(bool ok)> done) {
    impl_->begin_tls(std::move(ctx), true, "", std::move(done));
}

void Connection::start_tls_client(std::shared_ptr<TlsContext> ctx, const std::string& sni,
                                  std::function<void(bool ok)> done) {
    impl_->begin_tls(std::move(ctx), false, sni, std::move(done));
}

bool Connection::tls_active() const { return impl_->tls && impl_->tls->established(); }

std::string Connection::tls_description() const { return tls_active() ? impl_->tls->description() : ""; }

bool Connection::tls_peer_verified() const { return tls_active() && impl_->tls->peer_verified(); }

void Connection::Private::begin_tls(std::shared_ptr<TlsContext> ctx, bool server, const std::string& sni,
                                    std::function<void(bool)> done) {
    auto hold = self.shared_from_this();
    auto refuse = [&](const std::string& reason) {
        if (!reason.empty()) log::warn("conn {}: cannot start TLS: {}", self.id_, reason);
        self.close();
        if (done) call("TLS completion", [&] { done(false); });
    };
    if (self.closing_ || !tcp || phase != Phase::open) return refuse("");
    if (tls) return refuse("TLS is already active");
    if (!ctx || !ctx->get()) return refuse("no TLS context");
    try {
        tls = std::make_unique<detail::TlsSession>(ctx->get(), server, sni);
    } catch (const std::exception& e) {
        return refuse(e.what());
    }
    // Whatever arrived in plaintext after the STARTTLS command (or, on the
    // client side, after the "go ahead" reply) was not protected by TLS: it
    // must not be executed as if it had been (RFC 3207 section 4.2).
    if (!self.input_.empty())
        log::info("conn {}: {}: dropping {} bytes sent before the TLS handshake", self.id_, self.peer_ip_,
                  self.input_.size());
    self.input_.clear();
    tls_ctx = std::move(ctx);
    tls_done = std::move(done);
    handshaking = true;
    arm_timer(limits.handshake_timeout);
    if (!server) advance_handshake();  // the client speaks first
    if (!in_service) update_reading();
}

void Connection::Private::advance_handshake() {
    auto status = tls->handshake();
    flush_tls();
    if (status == detail::TlsSession::Status::want_more) return;
    if (status != detail::TlsSession::Status::ok) {
        fail_tls(tls->error());
        return;
    }
    if (tls->alpn() == acme_tls_alpn_protocol) {
        // An ACME server validating TLS-ALPN-01: it has seen the validation
        // certificate and sends nothing more (RFC 8737 section 3).
        fail_tls("ACME TLS-ALPN-01 validation handshake done");
        return;
    }
    handshaking = false;
    log::debug("conn {}: {} with {}", self.id_, tls->description(), self.peer_ip_);
    rearm_idle();
    if (!plain_pending.empty()) {
        std::string held;
        held.swap(plain_pending);
        self.pending_output_ -= std::min(self.pending_output_, held.size());
        self.write(held);
    }
    if (auto done = std::move(tls_done)) {
        tls_done = nullptr;
        call("TLS completion", [&] { done(true); });
    }
    // Application data may have come with the handshake's last flight.
    if (!self.closing_) service();
}

void Connection::Private::fail_tls(const std::string& reason) {
    log::info("conn {}: {}: {}", self.id_, self.peer_ip_, reason);
    handshaking = false;
    auto done = std::move(tls_done);
    tls_done = nullptr;
    flush_tls();  // an alert, if OpenSSL produced one
    self.close();
    if (done) call("TLS completion", [&] { done(false); });
}

void ConnectionAccess::start_implicit_tls(Connection& conn, std::shared_ptr<TlsContext> ctx) {
    std::weak_ptr<Connection> weak = conn.weak_from_this();
    conn.start_tls_server(std::move(ctx), [weak](bool ok) {
        auto c = weak.lock();
        if (ok && c) c->start();
    });
}

}  // namespace pochta::net
