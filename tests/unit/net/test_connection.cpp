// Plaintext connections over real sockets on 127.0.0.1.
#include <catch2/catch.hpp>

#include <thread>

#include "common/net/server.hpp"
#include "tests/unit/net/net_test_support.hpp"

using namespace pochta::net;
using namespace std::chrono_literals;

namespace {

struct Counters {
    int opened = 0;
    int closed = 0;
    int timeouts = 0;
};

HandlerFactory echo_factory(Counters& counters) {
    return [&counters](Connection&) {
        auto h = std::make_unique<test::FnHandler>();
        h->open = [&counters](Connection&) { ++counters.opened; };
        h->input = test::echo_lines;
        h->closed = [&counters](Connection&) { ++counters.closed; };
        return h;
    };
}

}  // namespace

TEST_CASE("plaintext echo, logging the bound port", "[net][conn]") {
    EventLoop loop;
    Counters counters;
    Server server(loop, nullptr, 100, 10);
    std::string log = test::capture_stderr([&] { server.add_listener(test::local_listener("echo", echo_factory(counters))); });
    uint16_t port = server.bound_port("echo");
    REQUIRE(port != 0);
    CHECK(log.find("info listening echo 127.0.0.1:" + std::to_string(port) + "\n") != std::string::npos);
    CHECK(server.bound_port("nonesuch") == 0);

    std::string first, second, bye;
    bool closed = false;
    std::thread client([&] {
        test::BlockingClient c(port);
        c.send("hello\r\nwor");
        first = c.read_line();
        c.send("ld\n");
        second = c.read_line();
        c.send("quit\r\n");
        bye = c.read_line();
        closed = c.wait_closed();
        loop.post([&] { loop.stop(); });
    });
    REQUIRE(test::run_for(loop, 10s));
    client.join();
    CHECK(first == "hello\r\n");
    CHECK(second == "world\n");
    CHECK(bye == "bye\r\n");
    CHECK(closed);
    // The close callback runs on the loop; let it finish.
    for (int i = 0; i < 50 && counters.closed == 0; ++i) {
        auto t = loop.start_timer(10ms, [&] { loop.stop(); });
        loop.run();
    }
    CHECK(counters.opened == 1);
    CHECK(counters.closed == 1);
    CHECK(server.connection_count() == 0);
}

TEST_CASE("close and abort from inside on_input", "[net][conn]") {
    EventLoop loop;
    int closed_calls = 0;
    bool use_abort = GENERATE(false, true);
    Server server(loop, nullptr, 100, 10);
    server.add_listener(test::local_listener("x", [&](Connection&) {
        auto h = std::make_unique<test::FnHandler>();
        h->input = [&](Connection& c) {
            c.write("last words\r\n");
            use_abort ? c.abort() : c.close();
            c.write("ignored after close\r\n");
            CHECK(c.closing());
        };
        h->closed = [&](Connection& c) {
            ++closed_calls;
            CHECK(c.closing());
            loop.stop();
        };
        return h;
    }));
    std::string got;
    std::thread client([&, port = server.bound_port("x")] {
        test::BlockingClient c(port);
        c.send("anything\r\n");
        c.wait_closed(5000, &got);
    });
    REQUIRE(test::run_for(loop, 10s));
    client.join();
    CHECK(closed_calls == 1);
    if (use_abort) {
        CHECK(got.find("ignored") == std::string::npos);
    } else {
        CHECK(got == "last words\r\n");
    }
}

TEST_CASE("pause_input holds on_input back until resume_input", "[net][conn]") {
    EventLoop loop;
    std::vector<std::string> lines;
    bool input_while_paused = false;
    std::unique_ptr<EventLoop::Timer> resume_timer;
    Server server(loop, nullptr, 100, 10);
    server.add_listener(test::local_listener("p", [&](Connection&) {
        auto h = std::make_unique<test::FnHandler>();
        h->input = [&](Connection& c) {
            if (c.input_paused()) input_while_paused = true;
            size_t n = c.input().line_length();
            if (n == 0) return;
            lines.emplace_back(c.input().view().substr(0, n));
            c.input().consume(n);
            // One command at a time, as if each needed the store.
            c.pause_input();
            std::weak_ptr<Connection> weak = c.shared_from_this();
            resume_timer = c.loop().start_timer(30ms, [weak, &lines] {
                auto conn = weak.lock();
                if (!conn) return;
                conn->write("ok " + std::to_string(lines.size()) + "\r\n");
                conn->resume_input();
            });
        };
        return h;
    }));
    std::vector<std::string> replies;
    std::thread client([&, port = server.bound_port("p")] {
        test::BlockingClient c(port);
        c.send("one\r\ntwo\r\nthree\r\n");
        for (int i = 0; i < 3; ++i) replies.push_back(c.read_line());
        loop.post([&] { loop.stop(); });
    });
    REQUIRE(test::run_for(loop, 10s));
    client.join();
    CHECK_FALSE(input_while_paused);
    REQUIRE(lines == std::vector<std::string>{"one\r\n", "two\r\n", "three\r\n"});
    CHECK(replies == std::vector<std::string>{"ok 1\r\n", "ok 2\r\n", "ok 3\r\n"});
}

TEST_CASE("input is capped while the session does not consume", "[net][conn]") {
    EventLoop loop;
    ConnectionLimits limits;
    limits.max_input_buffer = 64 * 1024;
    size_t max_seen = 0;
    int input_calls = 0;
    std::shared_ptr<Connection> server_side;
    Server server(loop, nullptr, 100, 10, limits);
    server.add_listener(test::local_listener("cap", [&](Connection& conn) {
        server_side = conn.shared_from_this();
        auto h = std::make_unique<test::FnHandler>();
        h->input = [&](Connection& c) {
            ++input_calls;
            max_seen = std::max(max_seen, c.input().size());
        };
        return h;
    }));
    std::atomic<size_t> sent{0};
    std::atomic<bool> send_failed{false};
    std::thread client([&, port = server.bound_port("cap")] {
        test::BlockingClient c(port);
        std::string chunk(64 * 1024, 'x');
        for (int i = 0; i < 1024 && !send_failed; ++i) {  // up to 64 MiB: more than all socket buffers
            if (!c.send(chunk)) send_failed = true;
            else sent += chunk.size();
        }
    });
    // Give the client plenty of time to fill every buffer on the way.
    auto check = loop.start_timer(1500ms, [&] { loop.stop(); });
    loop.run();
    CHECK(max_seen >= limits.max_input_buffer);
    CHECK(max_seen < limits.max_input_buffer + 64 * 1024 + 1);
    REQUIRE(server_side);
    CHECK(server_side->input().size() == max_seen);
    CHECK(sent.load() < 64u * 1024 * 1024);  // the client is blocked by TCP flow control
    int calls_before = input_calls;

    // Consuming restarts reading; aborting unblocks the client.
    server_side->input().consume(server_side->input().size());
    server_side->resume_input();
    auto more = loop.start_timer(300ms, [&] { loop.stop(); });
    loop.run();
    CHECK(input_calls > calls_before);
    server_side->abort();
    auto settle = loop.start_timer(100ms, [&] { loop.stop(); });
    loop.run();
    client.join();
    CHECK(server_side->closing());
    CHECK(server.connection_count() == 0);
    server_side.reset();
}

TEST_CASE("idle timeout closes a silent connection", "[net][conn]") {
    EventLoop loop;
    int timeouts = 0;
    int closed = 0;
    Server server(loop, nullptr, 100, 10);
    server.add_listener(test::local_listener("idle", [&](Connection& conn) {
        conn.set_idle_timeout(200ms);
        auto h = std::make_unique<test::FnHandler>();
        h->input = test::echo_lines;
        h->timeout = [&](Connection& c) {
            ++timeouts;
            c.write("timeout\r\n");
            c.close();
        };
        h->closed = [&](Connection&) { ++closed; };
        return h;
    }));
    std::string echo, note;
    bool was_closed = false;
    std::chrono::milliseconds silent_for{0};
    std::thread client([&, port = server.bound_port("idle")] {
        test::BlockingClient c(port);
        // Activity keeps it open past the timeout.
        for (int i = 0; i < 3; ++i) {
            std::this_thread::sleep_for(100ms);
            c.send("ping\r\n");
            echo = c.read_line();
        }
        auto start = std::chrono::steady_clock::now();
        note = c.read_line(3000);
        was_closed = c.wait_closed();
        silent_for = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
        loop.post([&] { loop.stop(); });
    });
    REQUIRE(test::run_for(loop, 10s));
    client.join();
    CHECK(echo == "ping\r\n");
    CHECK(note == "timeout\r\n");
    CHECK(was_closed);
    CHECK(silent_for >= 150ms);
    CHECK(silent_for < 2000ms);
    CHECK(timeouts == 1);
}

TEST_CASE("outbound connect: plaintext, refused and bad address", "[net][conn]") {
    EventLoop loop;
    Counters counters;
    Server server(loop, nullptr, 100, 10);
    server.add_listener(test::local_listener("echo", echo_factory(counters)));
    uint16_t port = server.bound_port("echo");

    std::string reply, refused_error, bad_error;
    bool refused_null = false, bad_null = false;
    int client_closed = 0;
    Connection::connect(loop, "127.0.0.1", port, 2s, [&](std::shared_ptr<Connection> conn, std::string error) {
        REQUIRE(conn);
        CHECK(error.empty());
        CHECK(conn->peer_ip() == "127.0.0.1");
        CHECK(conn->peer_port() == port);
        CHECK(conn->local_port() != 0);
        auto h = std::make_unique<test::FnHandler>();
        h->open = [](Connection& c) { c.write("via connect\r\n"); };
        h->input = [&](Connection& c) {
            if (size_t n = c.input().line_length()) {
                reply = std::string(c.input().view().substr(0, n));
                c.input().consume(n);
                c.close();
            }
        };
        h->closed = [&](Connection&) {
            ++client_closed;
            loop.stop();
        };
        conn->set_handler(std::move(h));
        conn->start();
    });
    REQUIRE(test::run_for(loop, 10s));
    CHECK(reply == "via connect\r\n");
    CHECK(client_closed == 1);

    // A port nobody listens on: the listener's port after it is gone.
    uint16_t closed_port = 0;
    {
        Server other(loop, nullptr, 1, 1);
        other.add_listener(test::local_listener("tmp", echo_factory(counters)));
        closed_port = other.bound_port("tmp");
    }
    Connection::connect(loop, "127.0.0.1", closed_port, 2s, [&](std::shared_ptr<Connection> conn, std::string error) {
        refused_null = conn == nullptr;
        refused_error = error;
        Connection::connect(loop, "mail.example.org", 25, 2s, [&](std::shared_ptr<Connection> c2, std::string e2) {
            bad_null = c2 == nullptr;
            bad_error = e2;
            loop.stop();
        });
    });
    REQUIRE(test::run_for(loop, 10s));
    CHECK(refused_null);
    CHECK_FALSE(refused_error.empty());
    CHECK(bad_null);
    CHECK(bad_error.find("not an IP address") != std::string::npos);
}

TEST_CASE("a connection held by weak_ptr is gone after close", "[net][conn]") {
    EventLoop loop;
    std::weak_ptr<Connection> weak;
    Server server(loop, nullptr, 100, 10);
    server.add_listener(test::local_listener("w", [&](Connection& conn) {
        weak = conn.shared_from_this();
        auto h = std::make_unique<test::FnHandler>();
        h->input = [](Connection& c) { c.abort(); };
        h->closed = [&](Connection&) {
            // Still alive during on_closed, gone once the loop moved on.
            CHECK_FALSE(weak.expired());
            loop.post([&] { loop.stop(); });
        };
        return h;
    }));
    std::thread client([port = server.bound_port("w")] {
        test::BlockingClient c(port);
        c.send("x\n");
        c.wait_closed();
    });
    REQUIRE(test::run_for(loop, 10s));
    client.join();
    CHECK(weak.expired());
}
