// The ACME client's HTTPS requests (README.md, "ACME certificates"): one
// connection per request on the loop (common/net with TLS verified against
// a configurable CA file), names resolved by the async resolver, the whole
// exchange bounded in time and size. Nothing here blocks the loop.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/util/http_response.hpp"
#include "common/dns/resolver.hpp"
#include "common/net/loop.hpp"
#include "common/net/tls.hpp"

namespace pochta::acme {

struct HttpsUrl {
    std::string host;       // name or IP literal, without brackets
    std::string authority;  // as written, for the Host header
    uint16_t port = 443;
    std::string target;     // path and query, at least "/"
};
// nullopt unless `url` is https://HOST[:PORT][/PATH].
std::optional<HttpsUrl> parse_https_url(std::string_view url);

struct HttpRequest {
    std::string method = "GET";
    std::string url = {};
    std::string content_type = {};  // with a body
    std::string body = {};
};

struct HttpOutcome {
    std::string error;  // "" when a whole response arrived (of any status)
    HttpResponse response;
};

class HttpsClient {
public:
    HttpsClient(net::EventLoop& loop, dns::Resolver& resolver, std::shared_ptr<net::TlsContext> tls,
                std::chrono::milliseconds timeout = std::chrono::seconds(30));
    // `done` runs once on the loop, never from inside send(). It may run
    // after this client is gone (the exchange holds what it needs), so
    // callers guard what they capture.
    void send(HttpRequest request, std::function<void(HttpOutcome)> done);

    struct Exchange;

private:
    net::EventLoop& loop_;
    dns::Resolver& resolver_;
    std::shared_ptr<net::TlsContext> tls_;
    std::chrono::milliseconds timeout_;
};

}  // namespace pochta::acme
