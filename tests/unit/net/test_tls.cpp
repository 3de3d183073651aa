// TLS: implicit TLS, STARTTLS with injection defence, context errors.
#include <catch2/catch.hpp>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <fstream>
#include <thread>

#include "common/net/server.hpp"
#include "common/net/tls.hpp"
#include "tests/unit/net/net_test_support.hpp"

using namespace pochta::net;
using namespace std::chrono_literals;

TEST_CASE("TlsContext::server reports bad files readably", "[net][tls]") {
    test::SelfSignedCert good;
    CHECK(TlsContext::server(good.cert, good.key) != nullptr);
    CHECK(TlsContext::client() != nullptr);

    try {
        TlsContext::server(good.dir / "missing.pem", good.key);
        FAIL("expected an exception");
    } catch (const std::runtime_error& e) {
        CHECK(std::string(e.what()).find("missing.pem") != std::string::npos);
    }
    test::SelfSignedCert other;
    try {
        TlsContext::server(good.cert, other.key);
        FAIL("expected an exception");
    } catch (const std::runtime_error& e) {
        CHECK(std::string(e.what()).find("does not match") != std::string::npos);
    }
    std::ofstream(good.dir / "junk.pem") << "not a certificate\n";
    CHECK_THROWS_AS(TlsContext::server(good.dir / "junk.pem", good.key), std::runtime_error);
}

TEST_CASE("implicit TLS with an outbound client connection", "[net][tls]") {
    test::SelfSignedCert cert;
    auto server_ctx = TlsContext::server(cert.cert, cert.key);
    auto client_ctx = TlsContext::client();
    EventLoop loop;
    bool server_saw_tls = false;
    std::string server_desc;
    Server server(loop, server_ctx, 100, 10);
    server.add_listener(test::local_listener("imaps", [&](Connection&) {
        auto h = std::make_unique<test::FnHandler>();
        h->open = [&](Connection& c) {
            server_saw_tls = c.tls_active();
            server_desc = c.tls_description();
            c.write("* OK ready\r\n");
        };
        h->input = test::echo_lines;
        return h;
    }, true));
    uint16_t port = server.bound_port("imaps");

    std::vector<std::string> lines;
    bool handshake_ok = false, verified = true;
    std::string client_desc;
    int closed = 0;
    Connection::connect(loop, "127.0.0.1", port, 2s, [&](std::shared_ptr<Connection> conn, std::string error) {
        REQUIRE(conn);
        REQUIRE(error.empty());
        auto h = std::make_unique<test::FnHandler>();
        h->open = [](Connection& c) { c.write("ping\r\n"); };
        h->input = [&](Connection& c) {
            while (size_t n = c.input().line_length()) {
                lines.emplace_back(c.input().view().substr(0, n));
                c.input().consume(n);
            }
            if (lines.size() == 2) c.write("quit\r\n");
        };
        h->closed = [&](Connection&) {
            ++closed;
            loop.stop();
        };
        conn->set_handler(std::move(h));
        std::weak_ptr<Connection> weak = conn;
        conn->start_tls_client(client_ctx, "localhost", [&, weak](bool ok) {
            handshake_ok = ok;
            auto c = weak.lock();
            REQUIRE(c);
            client_desc = c->tls_description();
            verified = c->tls_peer_verified();
            c->start();
        });
    });
    REQUIRE(test::run_for(loop, 10s));
    CHECK(handshake_ok);
    CHECK(server_saw_tls);
    CHECK(server_desc.rfind("TLSv1.3 TLS_", 0) == 0);
    CHECK(client_desc == server_desc);
    CHECK_FALSE(verified);  // self-signed: reported, not fatal
    CHECK(lines == std::vector<std::string>{"* OK ready\r\n", "ping\r\n", "bye\r\n"});
    CHECK(closed == 1);
}

TEST_CASE("implicit TLS listener drops a client that does not speak TLS", "[net][tls]") {
    test::SelfSignedCert cert;
    EventLoop loop;
    int opened = 0;
    Server server(loop, TlsContext::server(cert.cert, cert.key), 100, 10);
    server.add_listener(test::local_listener("pop3s", [&](Connection&) {
        auto h = std::make_unique<test::FnHandler>();
        h->open = [&](Connection&) { ++opened; };
        return h;
    }, true));
    bool closed = false;
    std::thread client([&, port = server.bound_port("pop3s")] {
        test::BlockingClient c(port);
        c.send("USER plaintext\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n");
        std::string ignored;
        closed = c.wait_closed(5000, &ignored);
        if (!closed) closed = ignored.size() > 0;  // an alert first, then EOF
        loop.post([&] { loop.stop(); });
    });
    REQUIRE(test::run_for(loop, 10s));
    client.join();
    CHECK(closed);
    CHECK(opened == 0);
}

namespace {

// The client side of STARTTLS with plain OpenSSL on a blocking socket.
struct BlockingTls {
    SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
    SSL* ssl = nullptr;
    explicit BlockingTls(int fd) {
        ssl = SSL_new(ctx);
        SSL_set_fd(ssl, fd);
    }
    ~BlockingTls() {
        SSL_free(ssl);
        SSL_CTX_free(ctx);
    }
    bool handshake() { return SSL_connect(ssl) == 1; }
    void send(std::string_view s) { SSL_write(ssl, s.data(), static_cast<int>(s.size())); }
    std::string read_line() {
        std::string line;
        char ch;
        while (SSL_read(ssl, &ch, 1) == 1) {
            line += ch;
            if (ch == '\n') break;
        }
        return line;
    }
};

}  // namespace

TEST_CASE("STARTTLS discards plaintext sent before the handshake", "[net][tls]") {
    test::SelfSignedCert cert;
    auto ctx = TlsContext::server(cert.cert, cert.key);
    EventLoop loop;
    std::vector<std::string> received;
    bool tls_done = false, tls_ok = false;
    Server server(loop, nullptr, 100, 10);
    server.add_listener(test::local_listener("smtp", [&](Connection&) {
        auto h = std::make_unique<test::FnHandler>();
        h->input = [&](Connection& c) {
            while (size_t n = c.input().line_length()) {
                std::string line(c.input().view().substr(0, n));
                c.input().consume(n);
                received.push_back(line);
                if (line == "STARTTLS\r\n") {
                    c.write("220 go ahead\r\n");
                    c.start_tls_server(ctx, [&](bool ok) {
                        tls_done = true;
                        tls_ok = ok;
                    });
                    CHECK(c.input().empty());
                    return;
                }
                c.write((c.tls_active() ? "tls " : "plain ") + line);
            }
        };
        return h;
    }));
    std::string before, go_ahead, after;
    bool handshake = false;
    std::thread client([&, port = server.bound_port("smtp")] {
        test::BlockingClient c(port);
        c.send("EHLO x\r\n");
        before = c.read_line();
        // The injection: a command pipelined behind STARTTLS in plaintext.
        c.send("STARTTLS\r\nMAIL FROM:<evil@example.org>\r\n");
        go_ahead = c.read_line();
        BlockingTls tls(c.fd());
        handshake = tls.handshake();
        if (handshake) {
            tls.send("EHLO y\r\n");
            after = tls.read_line();
        }
        loop.post([&] { loop.stop(); });
    });
    REQUIRE(test::run_for(loop, 10s));
    client.join();
    CHECK(before == "plain EHLO x\r\n");
    CHECK(go_ahead == "220 go ahead\r\n");
    CHECK(handshake);
    CHECK(tls_done);
    CHECK(tls_ok);
    CHECK(after == "tls EHLO y\r\n");
    CHECK(received == std::vector<std::string>{"EHLO x\r\n", "STARTTLS\r\n", "EHLO y\r\n"});
}

TEST_CASE("STARTTLS on both sides through Connection", "[net][tls]") {
    test::SelfSignedCert cert;
    auto server_ctx = TlsContext::server(cert.cert, cert.key);
    auto client_ctx = TlsContext::client();
    EventLoop loop;
    Server server(loop, nullptr, 100, 10);
    server.add_listener(test::local_listener("submission", [&](Connection&) {
        auto h = std::make_unique<test::FnHandler>();
        h->input = [&](Connection& c) {
            while (size_t n = c.input().line_length()) {
                std::string line(c.input().view().substr(0, n));
                c.input().consume(n);
                if (line == "STARTTLS\r\n") {
                    c.write("220 ready\r\n");
                    c.start_tls_server(server_ctx, [](bool) {});
                    return;
                }
                c.write(std::string(c.tls_active() ? "secure " : "clear ") + line);
            }
        };
        return h;
    }));
    std::vector<std::string> replies;
    bool ok = false;
    Connection::connect(loop, "127.0.0.1", server.bound_port("submission"), 2s,
                        [&](std::shared_ptr<Connection> conn, std::string) {
        REQUIRE(conn);
        auto h = std::make_unique<test::FnHandler>();
        h->open = [](Connection& c) { c.write("STARTTLS\r\n"); };
        h->input = [&](Connection& c) {
            while (size_t n = c.input().line_length()) {
                std::string line(c.input().view().substr(0, n));
                c.input().consume(n);
                replies.push_back(line);
                if (line == "220 ready\r\n") {
                    c.start_tls_client(client_ctx, "localhost", [&](bool result) { ok = result; });
                    // Written during the handshake: must go out encrypted after it.
                    c.write("hello\r\n");
                    return;
                }
                c.close();
            }
        };
        h->closed = [&](Connection&) { loop.stop(); };
        conn->set_handler(std::move(h));
        conn->start();
    });
    REQUIRE(test::run_for(loop, 10s));
    CHECK(ok);
    CHECK(replies == std::vector<std::string>{"220 ready\r\n", "secure hello\r\n"});
}

TEST_CASE("a stalled TLS handshake times out", "[net][tls]") {
    test::SelfSignedCert cert;
    EventLoop loop;
    ConnectionLimits limits;
    limits.handshake_timeout = 200ms;
    Server server(loop, TlsContext::server(cert.cert, cert.key), 100, 10, limits);
    server.add_listener(test::local_listener("imaps", [](Connection&) { return std::make_unique<test::FnHandler>(); }, true));
    bool closed = false;
    std::chrono::milliseconds took{0};
    std::thread client([&, port = server.bound_port("imaps")] {
        test::BlockingClient c(port);
        auto start = std::chrono::steady_clock::now();
        closed = c.wait_closed(5000);
        took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
        loop.post([&] { loop.stop(); });
    });
    REQUIRE(test::run_for(loop, 10s));
    client.join();
    CHECK(closed);
    CHECK(took >= 150ms);
    CHECK(took < 3000ms);
}

TEST_CASE("bulk echo over TLS with a small input cap", "[net][tls]") {
    test::SelfSignedCert cert;
    auto server_ctx = TlsContext::server(cert.cert, cert.key);
    auto client_ctx = TlsContext::client();
    EventLoop loop;
    ConnectionLimits limits;
    limits.max_input_buffer = 8 * 1024;  // far below what is in flight
    size_t server_max_input = 0;
    Server server(loop, server_ctx, 100, 10, limits);
    server.add_listener(test::local_listener("imaps", [&](Connection&) {
        auto h = std::make_unique<test::FnHandler>();
        h->input = [&](Connection& c) {
            server_max_input = std::max(server_max_input, c.input().size());
            test::echo_lines(c);
        };
        return h;
    }, true));

    const std::string line = std::string(999, 'z') + "\n";
    const size_t lines = 2048;  // 2 MiB each way
    size_t received = 0;
    bool intact = true;
    int drained = 0;
    Connection::connect(loop, "127.0.0.1", server.bound_port("imaps"), 2s,
                        [&](std::shared_ptr<Connection> conn, std::string) {
        REQUIRE(conn);
        auto h = std::make_unique<test::FnHandler>();
        h->open = [&](Connection& c) {
            std::string bulk;
            for (size_t i = 0; i < lines; ++i) bulk += line;
            c.write(bulk);
            CHECK(c.pending_output() > 0);
        };
        h->drained = [&](Connection&) { ++drained; };
        h->input = [&](Connection& c) {
            while (size_t n = c.input().line_length()) {
                if (c.input().view().substr(0, n) != line) intact = false;
                c.input().consume(n);
                received += n;
            }
            if (received == lines * line.size()) c.close();
        };
        h->closed = [&](Connection&) { loop.stop(); };
        conn->set_handler(std::move(h));
        conn->start_tls_client(client_ctx, "localhost", [weak = std::weak_ptr<Connection>(conn)](bool ok) {
            if (auto c = weak.lock(); c && ok) c->start();
        });
    });
    REQUIRE(test::run_for(loop, 20s));
    CHECK(intact);
    CHECK(received == lines * line.size());
    CHECK(drained >= 1);
    CHECK(server_max_input <= limits.max_input_buffer + 16 * 1024);
}

TEST_CASE("tls_peer_verified checks the chain and the name", "[net][tls]") {
    test::SelfSignedCert cert;
    auto server_ctx = TlsContext::server(cert.cert, cert.key);
    auto client_ctx = TlsContext::client();
    // Trust the test certificate as if it were a system CA.
    REQUIRE(SSL_CTX_load_verify_locations(client_ctx->get(), cert.cert.c_str(), nullptr) == 1);
    EventLoop loop;
    Server server(loop, server_ctx, 100, 10);
    server.add_listener(test::local_listener("smtps", [](Connection&) { return std::make_unique<test::FnHandler>(); }, true));
    uint16_t port = server.bound_port("smtps");

    auto probe = [&](const std::string& sni) {
        int result = -1;
        Connection::connect(loop, "127.0.0.1", port, 2s, [&](std::shared_ptr<Connection> conn, std::string) {
            REQUIRE(conn);
            conn->set_handler(std::make_unique<test::FnHandler>());
            std::weak_ptr<Connection> weak = conn;
            conn->start_tls_client(client_ctx, sni, [&, weak](bool ok) {
                auto c = weak.lock();
                result = ok && c && c->tls_peer_verified() ? 1 : 0;
                if (c) c->close();
                loop.stop();
            });
        });
        REQUIRE(test::run_for(loop, 10s));
        return result;
    };
    CHECK(probe("localhost") == 1);
    CHECK(probe("mx.example.org") == 0);  // the certificate names someone else
}
