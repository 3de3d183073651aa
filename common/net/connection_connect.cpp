// Outbound connections (the SMTP client).
#include "common/net/connection_private.hpp"
#include "common/net/socket_address.hpp"

namespace pochta::net {
namespace {

using ConnectDone = std::function<void(std::shared_ptr<Connection>, std::string)>;

// Failures before libuv took over are still reported from the loop, so the
// caller never sees its callback run inside connect().
void report_later(EventLoop& loop, ConnectDone done, std::string error) {
    loop.post([done = std::move(done), error = std::move(error)] {
        if (done) done(nullptr, error);
    });
}

void connect_cb(uv_connect_t* req, int status) {
    auto* p = static_cast<Connection::Private*>(req->data);
    delete req;
    p->on_connected(status);
}

}  // namespace

void Connection::Private::on_connected(int status) {
    auto hold = self.shared_from_this();
    auto done = std::move(connect_done);
    connect_done = nullptr;
    if (status < 0) {
        std::string error = connect_timed_out ? "connection timed out" : uv_strerror(status);
        self.abort();
        if (done) call("connect completion", [&] { done(nullptr, error); });
        return;
    }
    phase = Phase::open;
    stop_timer();
    uv_tcp_nodelay(&tcp->uv, 1);
    fill_addresses();
    rearm_idle();
    if (done) call("connect completion", [&] { done(hold, ""); });
    // Nobody took the connection (only `hold` and `keepalive` remain) and it
    // was not started: it would stay open with nothing to end it.
    if (!started && !tls && !self.closing_ && hold.use_count() <= 2) {
        log::debug("conn {}: outbound connection not taken, closing", self.id_);
        self.abort();
    }
}

void Connection::connect(EventLoop& loop, const std::string& ip, uint16_t port, std::chrono::milliseconds timeout,
                         ConnectDone done) {
    sockaddr_storage addr{};
    if (!detail::make_sockaddr(ip, port, addr)) return report_later(loop, std::move(done), "not an IP address: " + ip);
    std::shared_ptr<Connection> conn(new Connection(loop, ConnectionLimits{}));
    auto& p = *conn->impl_;
    if (int err = p.init_tcp(); err < 0) return report_later(loop, std::move(done), uv_strerror(err));
    conn->peer_ip_ = ip;
    conn->peer_port_ = port;
    auto* req = new uv_connect_t{};
    req->data = &p;
    int err = uv_tcp_connect(req, &p.tcp->uv, reinterpret_cast<const sockaddr*>(&addr), connect_cb);
    if (err < 0) {
        delete req;
        conn->abort();
        return report_later(loop, std::move(done), uv_strerror(err));
    }
    p.phase = Private::Phase::connecting;
    p.connect_done = std::move(done);
    if (timeout.count() > 0) p.arm_timer(timeout);
}

}  // namespace pochta::net
