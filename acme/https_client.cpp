#include "acme/https_client.hpp"

#include <arpa/inet.h>

#include "common/net/connection.hpp"
#include "common/util/strings.hpp"

namespace pochta::acme {
namespace {

bool is_ip_literal(const std::string& host) {
    unsigned char buf[16];
    return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

std::string request_text(const HttpRequest& request, const HttpsUrl& url) {
    std::string text = request.method + " " + url.target + " HTTP/1.1\r\nHost: " + url.authority +
                       "\r\nUser-Agent: pochta-acme\r\nAccept: */*\r\nConnection: close\r\n";
    if (!request.body.empty() || request.method == "POST")
        text += "Content-Type: " + request.content_type + "\r\nContent-Length: " +
                std::to_string(request.body.size()) + "\r\n";
    return text + "\r\n" + request.body;
}

}  // namespace

std::optional<HttpsUrl> parse_https_url(std::string_view url) {
    constexpr std::string_view scheme = "https://";
    if (!istarts_with(url, scheme)) return std::nullopt;
    url.remove_prefix(scheme.size());
    size_t slash = url.find_first_of("/?#");
    HttpsUrl out;
    out.authority = std::string(url.substr(0, slash));
    out.target = slash == std::string_view::npos ? "/" : std::string(url.substr(slash));
    if (out.target[0] != '/') out.target.insert(0, "/");
    if (size_t hash = out.target.find('#'); hash != std::string::npos) out.target.resize(hash);
    std::string_view authority = out.authority;
    if (authority.empty() || authority.find('@') != std::string_view::npos || has_control_chars(out.target) ||
        out.target.find(' ') != std::string::npos)
        return std::nullopt;
    std::string_view port_text;
    if (authority.front() == '[') {
        size_t close = authority.find(']');
        if (close == std::string_view::npos) return std::nullopt;
        out.host = std::string(authority.substr(1, close - 1));
        std::string_view rest = authority.substr(close + 1);
        if (!rest.empty() && (rest.front() != ':' || rest.size() == 1)) return std::nullopt;
        if (!rest.empty()) port_text = rest.substr(1);
    } else {
        size_t colon = authority.find(':');
        out.host = std::string(authority.substr(0, colon));
        if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
    }
    if (out.host.empty() || has_control_chars(out.host) || out.host.find(' ') != std::string::npos)
        return std::nullopt;
    if (!port_text.empty()) {
        auto port = parse_uint(port_text);
        if (!port || *port == 0 || *port > 65535) return std::nullopt;
        out.port = static_cast<uint16_t>(*port);
    }
    return out;
}

// One request: resolve, connect, TLS, send, read; finished exactly once.
struct HttpsClient::Exchange : std::enable_shared_from_this<Exchange> {
    net::EventLoop& loop;
    std::shared_ptr<net::TlsContext> tls;
    HttpRequest request;
    HttpsUrl url;
    std::function<void(HttpOutcome)> done;
    HttpResponseParser parser;
    std::unique_ptr<net::EventLoop::Timer> deadline;
    std::weak_ptr<net::Connection> connection;

    Exchange(net::EventLoop& l, std::shared_ptr<net::TlsContext> t, HttpRequest r, HttpsUrl u,
             std::function<void(HttpOutcome)> d)
        : loop(l), tls(std::move(t)), request(std::move(r)), url(std::move(u)), done(std::move(d)) {}

    void finish(std::string error) {
        if (!done) return;
        auto callback = std::move(done);
        done = nullptr;
        deadline.reset();
        if (auto conn = connection.lock()) conn->close();
        HttpOutcome outcome;
        if (error.empty()) outcome.response = parser.response();
        outcome.error = std::move(error);
        callback(std::move(outcome));
    }

    void connect(const std::string& ip, std::chrono::milliseconds timeout);
};

namespace {

class ExchangeHandler : public net::Handler {
public:
    explicit ExchangeHandler(std::shared_ptr<HttpsClient::Exchange> exchange) : exchange_(std::move(exchange)) {}
    void on_open(net::Connection& conn) override { conn.write(request_text(exchange_->request, exchange_->url)); }
    void on_input(net::Connection& conn) override {
        auto state = exchange_->parser.feed(conn.input().view());
        conn.input().consume(conn.input().size());
        settle(state);
    }
    void on_closed(net::Connection&) override {
        settle(exchange_->parser.finish());
        exchange_->finish("connection closed");  // ignored once finished
    }

private:
    void settle(HttpResponseParser::State state) {
        using State = HttpResponseParser::State;
        if (state == State::done) exchange_->finish("");
        if (state == State::failed) exchange_->finish(exchange_->url.host + ": " + exchange_->parser.error());
    }
    std::shared_ptr<HttpsClient::Exchange> exchange_;
};

}  // namespace

void HttpsClient::Exchange::connect(const std::string& ip, std::chrono::milliseconds timeout) {
    auto self = shared_from_this();
    net::Connection::connect(loop, ip, url.port, timeout, [self](std::shared_ptr<net::Connection> conn, std::string error) {
        if (!self->done) return;
        if (!conn) return self->finish(self->url.host + ": " + error);
        self->connection = conn;
        conn->set_handler(std::make_unique<ExchangeHandler>(self));
        std::weak_ptr<net::Connection> weak = conn;
        conn->start_tls_client(self->tls, self->url.host, [self, weak](bool ok) {
            auto c = weak.lock();
            if (!ok || !c) return self->finish(self->url.host + ": TLS handshake failed (certificate not trusted?)");
            c->start();
        });
    });
}

HttpsClient::HttpsClient(net::EventLoop& loop, dns::Resolver& resolver, std::shared_ptr<net::TlsContext> tls,
                         std::chrono::milliseconds timeout)
    : loop_(loop), resolver_(resolver), tls_(std::move(tls)), timeout_(timeout) {}

void HttpsClient::send(HttpRequest request, std::function<void(HttpOutcome)> done) {
    auto url = parse_https_url(request.url);
    if (!url) {
        loop_.post([done = std::move(done), bad = request.url] { done({"not an https URL: " + bad, {}}); });
        return;
    }
    auto exchange = std::make_shared<Exchange>(loop_, tls_, std::move(request), std::move(*url), std::move(done));
    std::weak_ptr<Exchange> weak = exchange;
    exchange->deadline = loop_.start_timer(timeout_, [weak] {
        if (auto ex = weak.lock()) ex->finish(ex->url.host + ": no answer in time");
    });
    if (is_ip_literal(exchange->url.host)) {
        loop_.post([exchange, timeout = timeout_] { exchange->connect(exchange->url.host, timeout); });
        return;
    }
    resolver_.resolve_addresses(exchange->url.host, [exchange, timeout = timeout_](dns::AddressResult result) {
        if (!exchange->done) return;
        if (!result.ipv4.empty()) return exchange->connect(result.ipv4.front(), timeout);
        if (!result.ipv6.empty()) return exchange->connect(result.ipv6.front(), timeout);
        exchange->finish(exchange->url.host + ": " + (result.message.empty() ? "no address" : result.message));
    });
}

}  // namespace pochta::acme
