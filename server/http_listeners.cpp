#include "server/http_listeners.hpp"

#include <algorithm>
#include <ctime>

#include "common/metrics/pochta_metrics.hpp"
#include "http/mta_sts.hpp"

namespace pochta::cli {
namespace {

// Clients set themselves up with what they can reach: the listeners that
// exist, with the ports bound, implicit TLS first (RFC 8314).
std::shared_ptr<http::MailSettings> mail_settings(const Config& config, const net::Server& server) {
    auto settings = std::make_shared<http::MailSettings>();
    settings->hostname = config.hostname;
    settings->domains = config.domains;
    using Kind = http::MailEndpoint::Kind;
    auto add = [&](std::vector<http::MailEndpoint>& list, const char* name, Kind kind, bool tls) {
        if (uint16_t port = server.bound_port(name)) list.push_back({kind, port, tls});
    };
    add(settings->incoming, "imaps", Kind::imap, true);
    add(settings->incoming, "imap", Kind::imap, false);
    add(settings->incoming, "pop3s", Kind::pop3, true);
    add(settings->incoming, "pop3", Kind::pop3, false);
    add(settings->outgoing, "submissions", Kind::smtp, true);
    add(settings->outgoing, "submission", Kind::smtp, false);
    return settings;
}

// /healthz answers once a store worker has run a call: the loop and the
// store's pool both serve.
http::HealthProbe store_probe(store::AsyncStore& store) {
    return [&store](std::function<void(bool)> done) {
        store.run<bool>([](store::Store&) { return true; },
                        [done = std::move(done)](bool ok, store::Error error) { done(ok && !error); });
    };
}

// /metrics: the registry, with the queue's length and age read from the
// store at each scrape (a scrape every few seconds costs one query).
http::MetricsSource metrics_source(store::AsyncStore& store) {
    return [&store](std::function<void(std::string)> done) {
        struct QueueStats {
            size_t messages = 0;
            int64_t oldest = 0;  // unix seconds of the oldest entry's arrival, 0 = none
        };
        store.run<QueueStats>(
            [](store::Store& s) {
                QueueStats stats;
                for (const auto& entry : s.list_queue()) {
                    stats.messages++;
                    if (stats.oldest == 0 || entry.created < stats.oldest) stats.oldest = entry.created;
                }
                return stats;
            },
            [done = std::move(done)](QueueStats stats, store::Error error) {
                if (error.empty()) {
                    int64_t now = std::time(nullptr);
                    metrics::queue_messages().set(static_cast<double>(stats.messages));
                    metrics::queue_oldest_seconds().set(stats.oldest ? static_cast<double>(now - stats.oldest) : 0);
                }
                done(metrics::registry().render());
            });
    };
}

}  // namespace

void add_http_listeners(net::Server& server, const Config& config, HttpListeners& listeners) {
    auto add = [&](const char* name, const std::optional<ListenAddress>& address, http::Listener kind,
                   http::Router& router, std::unique_ptr<http::SessionContext>& context) {
        if (!address) return;
        context = std::make_unique<http::SessionContext>(http::SessionContext{.router = router, .listener = kind});
        // The whole request within the idle limit before login too, when that is shorter.
        context->request_timeout = std::min<std::chrono::milliseconds>(context->request_timeout,
                                                                       config.limits.preauth_idle_timeout);
        server.add_listener(net::ListenerSpec{name, *address, kind == http::Listener::https,
                                              [&context](net::Connection&) {
                                                  return std::make_unique<http::Session>(*context);
                                              },
                                              "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n"
                                              "Connection: close\r\n\r\n"});
    };
    add("http", config.listen.http, http::Listener::http, listeners.public_router, listeners.plain);
    add("https", config.listen.https, http::Listener::https, listeners.public_router, listeners.tls);
    add("metrics", config.listen.metrics, http::Listener::metrics, listeners.metrics_router, listeners.metrics);
}

void add_http_routes(HttpListeners& listeners, const Config& config, const net::Server& server,
                     store::AsyncStore& store, http::AcmeChallenge acme_challenge) {
    http::add_client_setup_routes(listeners.public_router, mail_settings(config, server));
    http::add_service_routes(listeners.public_router, listeners.metrics_router,
                             http::ServiceRoutes{.mta_sts_policy = http::mta_sts_policy(config),
                                                 .acme_challenge = std::move(acme_challenge),
                                                 .metrics = metrics_source(store),
                                                 .health = store_probe(store),
                                                 .metrics_networks = config.http.metrics_networks});
}

}  // namespace pochta::cli
