#include "common/net/server.hpp"

#include <fmt/format.h>

#include <sys/resource.h>

#include <stdexcept>

#include "common/metrics/pochta_metrics.hpp"
#include "common/net/connection_private.hpp"
#include "common/net/socket_address.hpp"
#include "common/util/log.hpp"

namespace pochta::net {
namespace {

constexpr int kBacklog = 511;
// Accepting pauses while fewer descriptors than this are left: the store,
// DNS and outbound delivery need some, and libuv meeting EMFILE itself would
// accept and drop the waiting clients without a word.
constexpr rlim_t kSpareDescriptors = 16;

rlim_t descriptor_limit() {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return RLIM_INFINITY;
    return limit.rlim_cur;
}

struct Listener {
    std::string name;
    std::string host;
    uint16_t port = 0;
    bool implicit_tls = false;
    HandlerFactory factory;
    std::string refusal;
    detail::Box<uv_tcp_t>* box = nullptr;
    Server::Private* server = nullptr;
    // libuv holds one accepted socket and stops polling the listener until
    // uv_accept() takes it: that is how accepting pauses after EMFILE.
    bool connection_waiting = false;
    metrics::Counter* accepted = nullptr;  // README.md, "Autoconfig, MTA-STS and metrics"
    metrics::Gauge* open = nullptr;

    void close() {
        if (!box) return;
        box->owner = nullptr;
        box->on_close = nullptr;
        box->close();
        box = nullptr;
    }
};

void connection_cb(uv_stream_t* stream, int status);

// A warning a flood repeats (accept errors, refusals at the caps): at most
// one line per second; the next line says how many were left out.
class ThrottledWarning {
public:
    void report(uint64_t now_ms, const std::string& text) {
        if (logged_once_ && now_ms - last_ms_ < 1000) {
            ++suppressed_;
            return;
        }
        if (suppressed_ > 0) {
            log::warn("{} (and {} more like it since the last report)", text, suppressed_);
        } else {
            log::warn("{}", text);
        }
        logged_once_ = true;
        last_ms_ = now_ms;
        suppressed_ = 0;
    }

private:
    bool logged_once_ = false;
    uint64_t last_ms_ = 0;
    uint64_t suppressed_ = 0;
};

// What the server keeps per open connection. `user_key` is empty until the
// session logs in; it says which counter the connection is in.
struct Tracked {
    std::shared_ptr<Connection> conn;
    std::string ip;
    std::string user_key;
    metrics::Gauge* open;  // its listener's (the node's malloc size is unchanged by it)
};

}  // namespace

struct Server::Private {
    EventLoop& loop;
    std::shared_ptr<TlsContext> tls;
    unsigned max_connections;
    unsigned max_per_ip;
    unsigned max_per_user_ip;
    ConnectionLimits limits;
    std::vector<std::unique_ptr<Listener>> listeners;
    std::unordered_map<uint64_t, Tracked> connections;
    std::unordered_map<std::string, unsigned> per_ip;       // not yet authenticated
    std::unordered_map<std::string, unsigned> per_user_ip;  // "user\nip", authenticated
    bool shutting_down = false;
    std::vector<std::function<void()>> shutdown_done;
    std::unique_ptr<EventLoop::Timer> grace_timer;
    std::unique_ptr<EventLoop::Timer> finish_timer;
    std::unique_ptr<EventLoop::Timer> accept_resume_timer;  // set while accepting is paused
    ThrottledWarning accept_errors, refusals, user_refusals;

    Private(EventLoop& l, std::shared_ptr<TlsContext> t, unsigned max_conn, unsigned max_ip, ConnectionLimits lim,
            unsigned max_user_ip)
        : loop(l), tls(std::move(t)), max_connections(max_conn), max_per_ip(max_ip), max_per_user_ip(max_user_ip),
          limits(lim) {}

    uint64_t now() { return uv_now(loop.uv()); }
    void on_connection(Listener& listener, int status);
    void accept_one(Listener& listener);
    void pause_accepting();
    bool descriptors_running_out(const Listener& listener, const Connection& conn);
    void resume_accepting();
    bool over_cap(const Listener& listener, const Connection& conn);
    void refuse(const Listener& listener, Connection& conn);
    void track(const std::shared_ptr<Connection>& conn, const Listener& listener);
    bool authenticate(uint64_t id, const std::string& user);
    void forget(uint64_t id);
    void abort_all();
    void schedule_finish();
};

namespace {

void connection_cb(uv_stream_t* stream, int status) {
    auto* box = static_cast<detail::HandleBox*>(stream->data);
    auto* listener = static_cast<Listener*>(box->owner);
    if (!listener) return;
    listener->server->on_connection(*listener, status);
}

}  // namespace

Server::Server(EventLoop& loop, std::shared_ptr<TlsContext> tls, unsigned max_connections,
               unsigned max_connections_per_ip, ConnectionLimits limits, unsigned max_connections_per_user_ip)
    : impl_(std::make_unique<Private>(loop, std::move(tls), max_connections, max_connections_per_ip, limits,
                                      max_connections_per_user_ip)) {}

Server::~Server() {
    impl_->accept_resume_timer.reset();
    for (auto& listener : impl_->listeners) listener->close();
    auto connections = std::move(impl_->connections);
    for (auto& [id, entry] : connections) {
        ConnectionAccess::set_on_gone(*entry.conn, nullptr);
        ConnectionAccess::set_on_authenticated(*entry.conn, nullptr);
        entry.conn->abort();
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
    listener->refusal = spec.refusal;
    listener->server = impl_.get();
    listener->accepted = &metrics::connections_accepted(spec.name);
    listener->open = &metrics::connections_open(spec.name);
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

void Server::Private::on_connection(Listener& listener, int status) {
    if (status < 0) {
        accept_errors.report(now(), fmt::format("accept on {}: {}", listener.name, uv_strerror(status)));
        if (status == UV_EMFILE || status == UV_ENFILE) pause_accepting();
        return;
    }
    if (accept_resume_timer) {
        listener.connection_waiting = true;  // taken when accepting resumes
        return;
    }
    accept_one(listener);
}

// Out of descriptors: accepting again at once would fail again (libuv
// then drops the waiting clients). Wait for connections to close.
void Server::Private::pause_accepting() {
    if (accept_resume_timer || shutting_down) return;
    accept_resume_timer = loop.start_timer(Server::accept_pause, [this] { resume_accepting(); });
}

// POSIX hands out the lowest free descriptor, so a new socket's number near
// the limit means nearly all below it are in use.
bool Server::Private::descriptors_running_out(const Listener& listener, const Connection& conn) {
    rlim_t limit = descriptor_limit();
    int fd = ConnectionAccess::fd(conn);
    if (limit == RLIM_INFINITY || fd < 0 || rlim_t(fd) + kSpareDescriptors < limit) return false;
    accept_errors.report(now(), fmt::format("accept on {}: descriptor {} of a limit of {}: accepting paused",
                                            listener.name, fd, limit));
    return true;
}

void Server::Private::resume_accepting() {
    auto timer = std::move(accept_resume_timer);  // we are inside its callback: destroyed on return
    for (auto& listener : listeners) {
        if (!listener->connection_waiting || !listener->box) continue;
        listener->connection_waiting = false;
        accept_one(*listener);
    }
}

bool Server::Private::over_cap(const Listener& listener, const Connection& conn) {
    if (max_connections > 0 && connections.size() >= max_connections) {
        refusals.report(now(), fmt::format("{}: connection limit {} reached, refusing {}", listener.name,
                                           max_connections, conn.peer_ip()));
        return true;
    }
    auto it = per_ip.find(conn.peer_ip());
    if (max_per_ip > 0 && it != per_ip.end() && it->second >= max_per_ip) {
        refusals.report(now(), fmt::format("{}: limit of {} connections before login per IP reached, refusing {}",
                                           listener.name, max_per_ip, conn.peer_ip()));
        return true;
    }
    return false;
}

// The protocol's "too many connections" line, then close. The connection is
// not tracked: it holds its socket only until the line is sent (at most
// ConnectionLimits::close_linger).
void Server::Private::refuse(const Listener& listener, Connection& conn) {
    if (listener.refusal.empty() || listener.implicit_tls) {
        conn.abort();
        return;
    }
    conn.write(listener.refusal);
    conn.close();
}

void Server::Private::track(const std::shared_ptr<Connection>& conn, const Listener& listener) {
    uint64_t id = conn->id();
    connections.emplace(id, Tracked{conn, conn->peer_ip(), {}, listener.open});
    listener.accepted->inc();
    listener.open->add(1);
    ++per_ip[conn->peer_ip()];
    ConnectionAccess::set_on_gone(*conn, [this, id] { forget(id); });
    ConnectionAccess::set_on_authenticated(*conn,
                                           [this, id](const std::string& user) { return authenticate(id, user); });
}

void Server::Private::accept_one(Listener& listener) {
    std::string error;
    auto conn = ConnectionAccess::accept(loop, limits, reinterpret_cast<uv_stream_t*>(&listener.box->uv), error);
    if (!conn) {
        accept_errors.report(now(), fmt::format("accept on {}: {}", listener.name, error));
        return;
    }
    if (shutting_down) {
        conn->abort();
        return;
    }
    if (over_cap(listener, *conn)) {
        refuse(listener, *conn);
        return;
    }
    if (descriptors_running_out(listener, *conn)) pause_accepting();  // this one is still served
    track(conn, listener);
    uint64_t id = conn->id();
    log::debug("{}: conn {} from {}", listener.name, id, detail::host_port(conn->peer_ip(), conn->peer_port()));

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

namespace {

void decrement(std::unordered_map<std::string, unsigned>& counts, const std::string& key) {
    if (auto it = counts.find(key); it != counts.end() && --it->second == 0) counts.erase(it);
}

}  // namespace

// A login moves the connection from the per-IP count (unauthenticated) to
// the per user and IP count, as Dovecot's mail_max_userip_connections: an
// office behind one NAT address is limited per person, not as a whole.
bool Server::Private::authenticate(uint64_t id, const std::string& user) {
    auto it = connections.find(id);
    if (it == connections.end()) return true;
    Tracked& entry = it->second;
    if (!entry.user_key.empty()) return true;
    std::string key = user + '\n' + entry.ip;
    auto count = per_user_ip.find(key);
    if (max_per_user_ip > 0 && count != per_user_ip.end() && count->second >= max_per_user_ip) {
        user_refusals.report(now(), fmt::format("limit of {} connections per user and IP reached for {} from {}",
                                                max_per_user_ip, user, entry.ip));
        return false;
    }
    ++per_user_ip[key];
    decrement(per_ip, entry.ip);
    entry.user_key = std::move(key);
    return true;
}

void Server::Private::forget(uint64_t id) {
    auto it = connections.find(id);
    if (it == connections.end()) return;
    if (it->second.user_key.empty()) {
        decrement(per_ip, it->second.ip);
    } else {
        decrement(per_user_ip, it->second.user_key);
    }
    it->second.open->add(-1);
    connections.erase(it);
    if (shutting_down && connections.empty()) schedule_finish();
}

void Server::Private::abort_all() {
    std::vector<std::shared_ptr<Connection>> all;
    for (auto& [id, entry] : connections) all.push_back(entry.conn);
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
    p.accept_resume_timer.reset();
    for (auto& listener : p.listeners) listener->close();
    log::info("shutting down: {} connections open", p.connections.size());

    std::vector<std::shared_ptr<Connection>> all;
    for (auto& [id, entry] : p.connections) all.push_back(entry.conn);
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
