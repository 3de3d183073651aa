// The router and the routes that need no server: ACME challenges, the
// MTA-STS policy, metrics by network.
#include <catch2/catch.hpp>

#include "http/mta_sts.hpp"
#include "http/routes.hpp"

using namespace pochta::http;

namespace {

Request get(std::string path) {
    Request r;
    r.method = "GET";
    r.path = std::move(path);
    return r;
}

Response answer(const Router& router, const Request& request, Client client = {}) {
    Response out;
    out.status = 0;
    router.route(request, client, [&](Response r) { out = std::move(r); });
    return out;
}

struct Routers {
    Router open, metrics;
    explicit Routers(ServiceRoutes routes) { add_service_routes(open, metrics, routes); }
};

ServiceRoutes service_routes() {
    ServiceRoutes routes;
    routes.mta_sts_policy = "version: STSv1\r\n";
    routes.acme_challenge = [](std::string_view token) -> std::optional<std::string> {
        if (token == "tok-1") return std::string("tok-1.thumbprint");
        return std::nullopt;
    };
    routes.metrics = [](std::function<void(std::string)> done) { done("up 1\n"); };
    routes.health = [](std::function<void(bool)> done) { done(true); };
    routes.metrics_networks = {"10.0.0.0/8", "2001:db8::/32"};
    return routes;
}

}  // namespace

TEST_CASE("ACME HTTP-01 challenges come from the hook", "[http]") {
    Routers r(service_routes());
    Response ok = answer(r.open, get("/.well-known/acme-challenge/tok-1"));
    CHECK(ok.status == 200);
    CHECK(ok.body == "tok-1.thumbprint");
    CHECK(answer(r.open, get("/.well-known/acme-challenge/TOK-1")).status == 404);  // tokens are case-sensitive
    CHECK(answer(r.open, get("/.well-known/acme-challenge/")).status == 404);
    CHECK(answer(r.metrics, get("/.well-known/acme-challenge/tok-1")).status == 404);
    ServiceRoutes none = service_routes();
    none.acme_challenge = nullptr;
    CHECK(answer(Routers(none).open, get("/.well-known/acme-challenge/tok-1")).status == 404);
}

TEST_CASE("/metrics: on the metrics listener, elsewhere to the given networks only", "[http]") {
    Routers r(service_routes());
    CHECK(answer(r.metrics, get("/metrics"), {Listener::metrics, "203.0.113.9"}).body == "up 1\n");
    CHECK(answer(r.open, get("/metrics"), {Listener::http, "10.1.2.3"}).status == 200);
    CHECK(answer(r.open, get("/metrics"), {Listener::https, "2001:db8::5"}).status == 200);
    CHECK(answer(r.open, get("/metrics"), {Listener::http, "11.1.2.3"}).status == 404);
    CHECK(answer(r.open, get("/METRICS"), {Listener::http, "::ffff:10.0.0.1"}).status == 200);
}

TEST_CASE("the MTA-STS policy is on https only; methods are checked", "[http]") {
    Routers r(service_routes());
    CHECK(answer(r.open, get("/.well-known/mta-sts.txt"), {Listener::https, "1.2.3.4"}).body == "version: STSv1\r\n");
    CHECK(answer(r.open, get("/.well-known/mta-sts.txt"), {Listener::http, "1.2.3.4"}).status == 404);
    Request post = get("/healthz");
    post.method = "POST";
    Response refused = answer(r.open, post);
    CHECK(refused.status == 405);
    Request head = get("/healthz");
    head.method = "HEAD";
    CHECK(answer(r.open, head).status == 200);
}

TEST_CASE("the MTA-STS policy and its id follow the configuration", "[http]") {
    pochta::Config config;
    config.hostname = "mx.example.org";
    std::string policy = mta_sts_policy(config);
    CHECK(policy == "version: STSv1\r\nmode: testing\r\nmx: mx.example.org\r\nmax_age: 604800\r\n");
    config.mta_sts.mode = "enforce";
    config.mta_sts.mx = {"a.example.org", "*.example.net"};
    std::string changed = mta_sts_policy(config);
    CHECK(changed == "version: STSv1\r\nmode: enforce\r\nmx: a.example.org\r\nmx: *.example.net\r\nmax_age: 604800\r\n");
    std::string id = mta_sts_id(policy);
    CHECK(id.size() == 20);
    CHECK(id == mta_sts_id(policy));
    CHECK(id != mta_sts_id(changed));
}
