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
};

class Server {
public:
    // `tls` may be null when no listener uses implicit TLS. A cap of 0 means
    // no limit. Connections over a cap are closed right after accept.
    Server(EventLoop& loop, std::shared_ptr<TlsContext> tls, unsigned max_connections,
           unsigned max_connections_per_ip, ConnectionLimits limits = {});
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

    struct Private;
private:
    std::unique_ptr<Private> impl_;
};

}  // namespace pochta::net
