#include "common/net/server.hpp"

#include <stdexcept>

#include "common/net/connection_private.hpp"
#include "common/net/socket_address.hpp"
#include "common/util/log.hpp"

namespace pochta::net {
namespace {

constexpr int kBacklog = 511;

struct Listener {
    std::string name;
    std::string host;
    uint16_t port = 0;
    bool implicit_tls = false;
    HandlerFactory factory;
    detail::Box<uv_tcp_t>* box = nullptr;
    Server::Private* server = nullptr;

    void close() {
        if (!box) return;
        box->owner = nullptr;
        box->on_close = nullptr;
        box->close();
        box = nullptr;
    }
};

void connection_cb(uv_stream_t* stream, int status);

}  // namespace

struct Server::Private {
    EventLoop& loop;
    std::shared_ptr<TlsContext> tls;
    unsigned max_connections;
    unsigned max_per_ip;
    ConnectionLimits limits;
    std::vector<std::unique_ptr<Listener>> listeners;
    std::unordered_map<uint64_t, std::shared_ptr<Connection>> connections;
    std::unordered_map<std::string, unsigned> per_ip;
    bool shutting_down = false;
    std::vector<std::function<void()>> shutdown_done;
    std::unique_ptr<EventLoop::Timer> grace_timer;
    std::unique_ptr<EventLoop::Timer> finish_timer;

    Private(EventLoop& l, std::shared_ptr<TlsContext> t, unsigned max_conn, unsigned max_ip, ConnectionLimits lim)
        : loop(l), tls(std::move(t)), max_connections(max_conn), max_per_ip(max_ip), limits(lim) {}

    void accept_one(Listener& listener);
    bool over_cap(const Listener& listener, const Connection& conn) const;
    void forget(uint64_t id, const std::string& ip);
    void abort_all();
    void schedule_finish();
};

namespace {

void connection_cb(uv_stream_t* stream, int status) {
    auto* box = static_cast<detail::HandleBox*>(stream->data);
    auto* listener = static_cast<Listener*>(box->owner);
    if (!listener) return;
    if (status < 0) {
        log::warn("accept on {}: {}", listener->name, uv_strerror(status));
        return;
    }
    listener->server->accept_one(*listener);
}

}  // namespace

Server::Server(EventLoop& loop, std::shared_ptr<TlsContext> tls, unsigned max_connections,
               unsigned max_connections_per_ip, ConnectionLimits limits)
    : impl_(std::make_unique<Private>(loop, std::move(tls), max_connections, max_connections_per_ip, limits)) {}

Server::~Server() {
    for (auto& listener : impl_->listeners) listener->close();
    auto connections = std::move(impl_->connections);
    for (auto& [id, conn] : connections) {
        ConnectionAccess::set_on_gone(*conn, nullptr);
        conn->abort();
    }
}

void Server::add_listener(const ListenerSpec& spec) {
    const std::string& host = spec.address.host;
    std::string where = spec.address.text.empty() ? detail::host_port(host, spec.address.port) : spec.address.text;
    auto fail = [&](const std::string& reason) {
        throw std::runtime_error("listen " + spec.name + " " + where + ": " + reason);
    };
    if (!spec.factory) fail("no session factory");
    if (spec.implicit_tls && !impl_->tls) fail("implicit TLS needs a certificate");
    if (impl_->shutting_down) fail("server is shutting down");
    sockaddr_storage addr{};
    if (!detail::make_sockaddr(host, spec.address.port, addr)) fail("not an IP address");

    uv_loop_t* uv = impl_->loop.uv();
    auto* box = new detail::Box<uv_tcp_t>(uv);
    if (int err = uv_tcp_init(uv, &box->uv); err < 0) {
        box->close();
        fail(uv_strerror(err));
    }
    box->adopt();
    // libuv sets SO_REUSEADDR on the socket it binds.
    int err = uv_tcp_bind(&box->uv, reinterpret_cast<const sockaddr*>(&addr), 0);
    if (err == 0) err = uv_listen(reinterpret_cast<uv_stream_t*>(&box->uv), kBacklog, connection_cb);
    if (err < 0) {
        box->close();
        fail(uv_strerror(err));
    }
    sockaddr_storage bound{};
    int len = sizeof bound;
    std::string bound_ip;
    uint16_t bound_port = spec.address.port;
    if (uv_tcp_getsockname(&box->uv, reinterpret_cast<sockaddr*>(&bound), &len) == 0)
        detail::describe_sockaddr(bound, bound_ip, bound_port);

    auto listener = std::make_unique<Listener>();
    listener->name = spec.name;
    listener->host = host;
    listener->port = bound_port;
    listener->implicit_tls = spec.implicit_tls;
    listener->factory = spec.factory;
    listener->server = impl_.get();
    listener->box = box;
    box->owner = listener.get();
    Listener* raw = listener.get();
    box->on_close = [raw] { raw->box = nullptr; };
    impl_->listeners.push_back(std::move(listener));
    log::info("listening {} {}", spec.name, detail::host_port(host, bound_port));
}

uint16_t Server::bound_port(const std::string& name) const {
    for (const auto& listener : impl_->listeners)
        if (listener->name == name) return listener->port;
    return 0;
}

size_t Server::connection_count() const { return impl_->connections.size(); }

bool Server::Private::over_cap(const Listener& listener, const Connection& conn) const {
    if (max_connections > 0 && connections.size() >= max_connections) {
        log::warn("{}: connection limit {} reached, refusing {}", listener.name, max_connections, conn.peer_ip());
        return true;
    }
    auto it = per_ip.find(conn.peer_ip());
    if (max_per_ip > 0 && it != per_ip.end() && it->second >= max_per_ip) {
        log::warn("{}: per-IP connection limit {} reached, refusing {}", listener.name, max_per_ip, conn.peer_ip());
        return true;
    }
    return false;
}

void Server::Private::accept_one(Listener& listener) {
    std::string error;
    auto conn = ConnectionAccess::accept(loop, limits, reinterpret_cast<uv_stream_t*>(&listener.box->uv), error);
    if (!conn) {
        log::warn("accept on {}: {}", listener.name, error);
        return;
    }
    if (shutting_down || over_cap(listener, *conn)) {
        conn->abort();
        return;
    }
    uint64_t id = conn->id();
    std::string ip = conn->peer_ip();
    connections.emplace(id, conn);
    ++per_ip[ip];
    ConnectionAccess::set_on_gone(*conn, [this, id, ip] { forget(id, ip); });
    log::debug("{}: conn {} from {}", listener.name, id, detail::host_port(ip, conn->peer_port()));

    std::unique_ptr<Handler> handler;
    try {
        handler = listener.factory(*conn);
    } catch (const std::exception& e) {
        log::error("{}: cannot create session: {}", listener.name, e.what());
    }
    if (!handler) {
        conn->abort();
        return;
    }
    conn->set_handler(std::move(handler));
    if (listener.implicit_tls) {
        ConnectionAccess::start_implicit_tls(*conn, tls);
    } else {
        conn->start();
    }
}

void Server::Private::forget(uint64_t id, const std::string& ip) {
    connections.erase(id);
    if (auto it = per_ip.find(ip); it != per_ip.end() && --it->second == 0) per_ip.erase(it);
    if (shutting_down && connections.empty()) schedule_finish();
}

void Server::Private::abort_all() {
    std::vector<std::shared_ptr<Connection>> all;
    for (auto& [id, conn] : connections) all.push_back(conn);
    for (auto& conn : all) conn->abort();
}

// `done` may destroy the Server, so it never runs from inside one of its
// own functions: a zero-delay timer owned by the Server runs it.
void Server::Private::schedule_finish() {
    if (finish_timer) return;
    finish_timer = loop.start_timer(std::chrono::milliseconds(0), [this] {
        grace_timer.reset();
        auto callbacks = std::move(shutdown_done);
        shutdown_done.clear();
        for (auto& done : callbacks) {
            try {
                if (done) done();
            } catch (const std::exception& e) {
                log::error("shutdown completion failed: {}", e.what());
            }
        }
    });
}

void Server::shutdown(std::chrono::milliseconds grace, std::function<void()> done) {
    auto& p = *impl_;
    p.shutdown_done.push_back(std::move(done));
    if (p.shutting_down) return;
    p.shutting_down = true;
    for (auto& listener : p.listeners) listener->close();
    log::info("shutting down: {} connections open", p.connections.size());

    std::vector<std::shared_ptr<Connection>> all;
    for (auto& [id, conn] : p.connections) all.push_back(conn);
    for (auto& conn : all) {
        if (conn->closing()) continue;
        Handler* handler = conn->handler();
        if (!handler || !ConnectionAccess::opened(*conn)) {
            conn->abort();
            continue;
        }
        try {
            handler->on_shutdown(*conn);
        } catch (const std::exception& e) {
            log::error("conn {}: on_shutdown failed: {}", conn->id(), e.what());
            conn->abort();
        }
    }
    if (p.connections.empty()) {
        p.schedule_finish();
        return;
    }
    p.grace_timer = p.loop.start_timer(grace, [&p] {
        if (!p.connections.empty()) log::info("shutdown: aborting {} connections", p.connections.size());
        p.abort_all();
    });
}

}  // namespace pochta::net
