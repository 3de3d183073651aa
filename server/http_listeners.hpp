// The http, https and metrics listeners (README.md, "Autoconfig, MTA-STS
// and metrics"), wired in two steps like the other services: the ports are
// bound first (before privileges drop), the routes are filled in once the
// ports are known (autoconfig names the ports actually bound) and the
// store is open.
#pragma once

#include <memory>

#include "common/config/config.hpp"
#include "common/net/server.hpp"
#include "http/routes.hpp"
#include "http/session.hpp"
#include "store/async_store.hpp"

namespace pochta::cli {

struct HttpListeners {
    http::Router public_router, metrics_router;
    std::unique_ptr<http::SessionContext> plain, tls, metrics;
};

void add_http_listeners(net::Server& server, const Config& config, HttpListeners& listeners);

// `acme_challenge` answers HTTP-01 challenges (null: no ACME client).
void add_http_routes(HttpListeners& listeners, const Config& config, const net::Server& server,
                     store::AsyncStore& store, http::AcmeChallenge acme_challenge);

}  // namespace pochta::cli
