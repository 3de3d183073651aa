// Listener caps, shutdown and loop teardown.
#include <catch2/catch.hpp>

#include <thread>

#include "common/net/server.hpp"
#include "tests/unit/net/net_test_support.hpp"

using namespace pochta::net;
using namespace std::chrono_literals;

namespace {

HandlerFactory echo_factory() {
    return [](Connection&) {
        auto h = std::make_unique<test::FnHandler>();
        h->input = test::echo_lines;
        return h;
    };
}

// Runs the loop briefly so accepts and closes are processed.
void spin(EventLoop& loop, std::chrono::milliseconds for_how_long) {
    auto t = loop.start_timer(for_how_long, [&] { loop.stop(); });
    loop.run();
}

}  // namespace

TEST_CASE("per-IP connection cap", "[net][server]") {
    EventLoop loop;
    Server server(loop, nullptr, 100, 2);
    server.add_listener(test::local_listener("smtp", echo_factory()));
    uint16_t port = server.bound_port("smtp");
    test::BlockingClient a(port), b(port);
    spin(loop, 50ms);
    REQUIRE(server.connection_count() == 2);
    std::string log;
    std::unique_ptr<test::BlockingClient> c;
    log = test::capture_stderr([&] {
        c = std::make_unique<test::BlockingClient>(port);
        spin(loop, 50ms);
    });
    CHECK(log.find("warn") != std::string::npos);
    CHECK(log.find("127.0.0.1") != std::string::npos);
    CHECK(server.connection_count() == 2);

    bool c_closed = false;
    std::string a_reply, b_reply;
    std::thread client([&] {
        c_closed = c->wait_closed(3000);
        a.send("a\r\n");
        a_reply = a.read_line();
        b.send("b\r\n");
        b_reply = b.read_line();
        loop.post([&] { loop.stop(); });
    });
    REQUIRE(test::run_for(loop, 10s));
    client.join();
    CHECK(c_closed);
    CHECK(a_reply == "a\r\n");
    CHECK(b_reply == "b\r\n");
}

TEST_CASE("total connection cap and a freed slot", "[net][server]") {
    EventLoop loop;
    Server server(loop, nullptr, 1, 10);
    server.add_listener(test::local_listener("imap", echo_factory()));
    uint16_t port = server.bound_port("imap");
    auto first = std::make_unique<test::BlockingClient>(port);
    spin(loop, 50ms);
    test::BlockingClient refused(port);
    spin(loop, 50ms);
    CHECK(server.connection_count() == 1);
    first.reset();  // frees the slot once the server sees EOF
    spin(loop, 100ms);
    CHECK(server.connection_count() == 0);
    bool refused_closed = false;
    std::string reply;
    std::thread client([&] {
        refused_closed = refused.wait_closed(3000);
        test::BlockingClient again(port);
        again.send("hi\r\n");
        reply = again.read_line();
        loop.post([&] { loop.stop(); });
    });
    REQUIRE(test::run_for(loop, 10s));
    client.join();
    CHECK(refused_closed);
    CHECK(reply == "hi\r\n");
}

TEST_CASE("shutdown: sessions close, stragglers are aborted after grace", "[net][server]") {
    EventLoop loop;
    int shutdown_calls = 0;
    Server server(loop, nullptr, 100, 10);
    // "polite" uses the default on_shutdown (close); "stubborn" ignores it.
    server.add_listener(test::local_listener("polite", [&](Connection&) {
        auto h = std::make_unique<test::FnHandler>();
        h->input = test::echo_lines;
        return h;
    }));
    server.add_listener(test::local_listener("stubborn", [&](Connection&) {
        auto h = std::make_unique<test::FnHandler>();
        h->input = test::echo_lines;
        h->shutdown = [&](Connection& c) {
            ++shutdown_calls;
            c.write("421 busy, try later\r\n");
        };
        return h;
    }));
    uint16_t polite_port = server.bound_port("polite");
    uint16_t stubborn_port = server.bound_port("stubborn");
    test::BlockingClient polite(polite_port), stubborn(stubborn_port);
    spin(loop, 50ms);
    REQUIRE(server.connection_count() == 2);

    bool done = false;
    auto started = std::chrono::steady_clock::now();
    std::chrono::milliseconds took{0};
    server.shutdown(300ms, [&] {
        done = true;
        took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
        loop.stop();
    });
    CHECK_FALSE(done);  // never from inside shutdown()
    REQUIRE(test::run_for(loop, 10s));
    CHECK(done);
    CHECK(took >= 250ms);
    CHECK(took < 2000ms);
    CHECK(shutdown_calls == 1);
    CHECK(server.connection_count() == 0);
    std::string polite_extra, stubborn_extra;
    CHECK(polite.wait_closed(1000, &polite_extra));
    CHECK_FALSE(stubborn.wait_closed(1000, &stubborn_extra));  // data came first
    CHECK(stubborn_extra == "421 busy, try later\r\n");
    // The listeners are gone.
    test::BlockingClient late(polite_port);
    CHECK_FALSE(late.connected());
}

TEST_CASE("shutdown with no connections finishes at once", "[net][server]") {
    EventLoop loop;
    Server server(loop, nullptr, 100, 10);
    server.add_listener(test::local_listener("pop3", echo_factory()));
    int done = 0;
    server.shutdown(10s, [&] {
        ++done;
        loop.stop();
    });
    REQUIRE(test::run_for(loop, 2s));
    CHECK(done == 1);
}

TEST_CASE("add_listener errors name the listener and address", "[net][server]") {
    EventLoop loop;
    Server server(loop, nullptr, 100, 10);
    server.add_listener(test::local_listener("smtp", echo_factory()));
    ListenerSpec dup = test::local_listener("again", echo_factory());
    dup.address.port = server.bound_port("smtp");
    dup.address.text = "127.0.0.1:" + std::to_string(dup.address.port);
    try {
        server.add_listener(dup);
        FAIL("expected an exception");
    } catch (const std::runtime_error& e) {
        std::string what = e.what();
        CHECK(what.rfind("listen again 127.0.0.1:" + std::to_string(dup.address.port) + ": ", 0) == 0);
        CHECK(what.find("in use") != std::string::npos);
    }
    ListenerSpec name = test::local_listener("bad", echo_factory());
    name.address.host = "localhost";
    name.address.text = "localhost:25";
    CHECK_THROWS_WITH(server.add_listener(name), "listen bad localhost:25: not an IP address");
    ListenerSpec tls = test::local_listener("imaps", echo_factory(), true);
    CHECK_THROWS_AS(server.add_listener(tls), std::runtime_error);  // no certificate
}

TEST_CASE("IPv6 loopback listener", "[net][server]") {
    EventLoop loop;
    Server server(loop, nullptr, 100, 10);
    ListenerSpec spec = test::local_listener("v6", echo_factory());
    spec.address.host = "::1";
    spec.address.text = "[::1]:0";
    std::string log;
    try {
        log = test::capture_stderr([&] { server.add_listener(spec); });
    } catch (const std::runtime_error& e) {
        WARN("no IPv6 here: " << e.what());
        return;
    }
    uint16_t port = server.bound_port("v6");
    CHECK(log.find("listening v6 [::1]:" + std::to_string(port)) != std::string::npos);
    std::string reply, peer;
    Connection::connect(loop, "::1", port, 2s, [&](std::shared_ptr<Connection> conn, std::string error) {
        REQUIRE(conn);
        CHECK(error.empty());
        peer = conn->peer_ip();
        auto h = std::make_unique<test::FnHandler>();
        h->open = [](Connection& c) { c.write("six\r\n"); };
        h->input = [&](Connection& c) {
            reply = std::string(c.input().view());
            c.abort();
            loop.stop();
        };
        conn->set_handler(std::move(h));
        conn->start();
    });
    REQUIRE(test::run_for(loop, 5s));
    CHECK(peer == "::1");
    CHECK(reply == "six\r\n");
}

TEST_CASE("destroying the loop with open connections frees everything", "[net][server]") {
    // Run under ASan/LSan: nothing may leak and nothing may be touched late.
    auto loop = std::make_unique<EventLoop>();
    auto server = std::make_unique<Server>(*loop, nullptr, 100, 10);
    server->add_listener(test::local_listener("smtp", echo_factory()));
    test::BlockingClient a(server->bound_port("smtp")), b(server->bound_port("smtp"));
    spin(*loop, 50ms);
    REQUIRE(server->connection_count() == 2);
    auto timer = loop->start_timer(1h, [] {});
    loop->post([] {});
    loop->offload([] {}, [] {});
    server.reset();
    loop.reset();
    CHECK_FALSE(timer->active());
    CHECK(a.wait_closed(2000));
}
