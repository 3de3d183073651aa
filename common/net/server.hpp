// Listeners for all configured services, connection caps (total and per
// client IP) and graceful shutdown.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/config/config.hpp"
#include "common/net/connection.hpp"
#include "common/net/loop.hpp"
#include "common/net/tls.hpp"

namespace pochta::net {

// Creates the session for a new connection.
using HandlerFactory = std::function<std::unique_ptr<Handler>(Connection&)>;

struct ListenerSpec {
    std::string name;                 // "smtp", "imaps", ... for logs
    ListenAddress address;
    bool implicit_tls = false;        // handshake before on_open
    HandlerFactory factory;
    // Sent (with its CRLF) to a client refused at a connection cap before
    // the connection is closed: "421 4.7.0 host Too many connections\r\n".
    // Not sent on implicit TLS listeners (it would arrive as a broken TLS
    // record; the handshake is not worth its cost for a refusal there).
    std::string refusal = {};
};

class Server {
public:
    // `tls` may be null when no listener uses implicit TLS. A cap of 0 means
    // no limit. max_connections counts every connection;
    // max_connections_per_ip only those not yet authenticated (the flood
    // and slowloris defence); max_connections_per_user_ip the authenticated
    // ones of one user from one IP (Connection::mark_authenticated). A
    // client over the first two gets its listener's refusal line and is
    // closed right after accept.
    Server(EventLoop& loop, std::shared_ptr<TlsContext> tls, unsigned max_connections,
           unsigned max_connections_per_ip, ConnectionLimits limits = {},
           unsigned max_connections_per_user_ip = 0);
    // Closes the listeners and aborts the connections left (their on_closed
    // runs when the loop next runs). Normally shutdown() has finished first.
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    // Binds (SO_REUSEADDR, backlog 511) and listens; logs
    // "listening NAME HOST:PORT" with the port actually bound. Throws
    // std::runtime_error("listen smtp 0.0.0.0:25: reason").
    // Binding happens before run_as drops privileges.
    void add_listener(const ListenerSpec& spec);
    // The port actually bound (for "host:0" in tests); 0 for an unknown name.
    uint16_t bound_port(const std::string& name) const;

    // Stops accepting, asks every session to finish (Handler::on_shutdown),
    // and calls `done` (from the loop, once) when all connections are closed,
    // or after `grace` once the remaining ones have been aborted.
    void shutdown(std::chrono::milliseconds grace, std::function<void()> done);

    size_t connection_count() const;

    // Accept errors (EMFILE, ENFILE, ...) and refusals at the caps are
    // logged at most once a second per kind, with the count of those not
    // logged. On EMFILE/ENFILE accepting pauses for this long: the waiting
    // clients stay in the kernel's backlog instead of being dropped.
    static constexpr std::chrono::milliseconds accept_pause{1000};

    struct Private;
private:
    std::unique_ptr<Private> impl_;
};

}  // namespace pochta::net
