// Health, metrics, the MTA-STS policy and ACME challenges (README.md,
// "Autoconfig, MTA-STS and metrics").
#include <algorithm>

#include "http/routes.hpp"
#include "mailauth/spf_ip.hpp"

namespace pochta::http {
namespace {

constexpr std::string_view acme_prefix = "/.well-known/acme-challenge/";

struct Network {
    mailauth::IpAddress address;
    unsigned prefix = 0;
};

// The configuration checked the syntax ("ip" or "ip/prefix").
std::vector<Network> parse_networks(const std::vector<std::string>& texts) {
    std::vector<Network> out;
    for (const auto& text : texts) {
        size_t slash = text.find('/');
        auto ip = mailauth::parse_client_ip(std::string_view(text).substr(0, slash));
        if (!ip) continue;
        unsigned prefix = ip->v6 ? 128 : 32;
        if (slash != std::string::npos) prefix = static_cast<unsigned>(std::stoul(text.substr(slash + 1)));
        out.push_back({*ip, prefix});
    }
    return out;
}

bool in_any(const std::vector<Network>& networks, const std::string& ip_text) {
    auto ip = mailauth::parse_client_ip(ip_text);
    return ip && std::any_of(networks.begin(), networks.end(),
                             [&](const Network& n) { return mailauth::in_network(*ip, n.address, n.prefix); });
}

RouteHandler metrics_handler(MetricsSource source, std::vector<Network> networks) {
    return [source = std::move(source), networks = std::move(networks)](const Request&, const Client& client,
                                                                          Respond respond) {
        // Outside the metrics listener and the allowed networks, /metrics
        // does not exist (no hint that there is something to guess at).
        if (client.listener != Listener::metrics && !in_any(networks, client.ip))
            return respond(Response::text(404, "not found\n"));
        source([respond](std::string text) {
            Response r = Response::text(200, std::move(text));
            r.content_type = "text/plain; version=0.0.4; charset=utf-8";  // the Prometheus text format
            respond(std::move(r));
        });
    };
}

RouteHandler health_handler(HealthProbe probe) {
    return [probe = std::move(probe)](const Request&, const Client&, Respond respond) {
        probe([respond](bool healthy) {
            respond(healthy ? Response::text(200, "ok\n") : Response::text(503, "store not answering\n"));
        });
    };
}

// RFC 8461 section 3.3: the policy is fetched over HTTPS only.
RouteHandler mta_sts_handler(std::string policy) {
    return [policy = std::move(policy)](const Request&, const Client& client, Respond respond) {
        if (client.listener != Listener::https) return respond(Response::text(404, "not found\n"));
        respond(Response::text(200, policy));
    };
}

// RFC 8555 section 8.3: the body is the key authorization, as is.
RouteHandler acme_handler(AcmeChallenge challenge) {
    return [challenge = std::move(challenge)](const Request& request, const Client&, Respond respond) {
        std::string_view token = std::string_view(request.path).substr(acme_prefix.size());
        auto answer = challenge ? challenge(token) : std::nullopt;
        if (!answer) return respond(Response::text(404, "no such challenge\n"));
        Response r = Response::text(200, std::move(*answer));
        r.content_type = "application/octet-stream";
        respond(std::move(r));
    };
}

}  // namespace

void add_service_routes(Router& public_router, Router& metrics_router, const ServiceRoutes& routes) {
    auto metrics = metrics_handler(routes.metrics, parse_networks(routes.metrics_networks));
    for (Router* router : {&public_router, &metrics_router}) {
        router->add({"GET"}, "/healthz", health_handler(routes.health));
        if (routes.metrics) router->add({"GET"}, "/metrics", metrics);
    }
    public_router.add({"GET"}, "/.well-known/mta-sts.txt", mta_sts_handler(routes.mta_sts_policy));
    public_router.add({"GET"}, std::string(acme_prefix), acme_handler(routes.acme_challenge), true);
}

}  // namespace pochta::http
