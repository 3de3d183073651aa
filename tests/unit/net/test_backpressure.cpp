// Output back-pressure and idle deadlines that count progress, not bytes
// (README "Connections and limits").
#include <catch2/catch.hpp>

#include <sys/socket.h>

#include <atomic>
#include <thread>

#include "common/net/server.hpp"
#include "tests/unit/net/net_test_support.hpp"

using namespace pochta::net;
using namespace std::chrono_literals;

namespace {

ConnectionLimits small_output_bound() {
    ConnectionLimits limits;
    limits.max_pending_output = 64 * 1024;
    limits.resume_output_below = 16 * 1024;
    return limits;
}

}  // namespace

TEST_CASE("a client that does not read its replies stops being read, then is served in full", "[net][conn]") {
    EventLoop loop;
    ConnectionLimits limits = small_output_bound();
    Server server(loop, nullptr, 100, 10, limits);
    const std::string reply(4094, 'r');
    size_t handled = 0;
    size_t worst_pending_at_input = 0;
    server.add_listener(test::local_listener("flood", [&](Connection&) {
        auto h = std::make_unique<test::FnHandler>();
        h->input = [&](Connection& c) {
            worst_pending_at_input = std::max(worst_pending_at_input, c.pending_output());
            // One command per call, as the protocol sessions do.
            if (size_t n = c.input().line_length()) {
                c.input().consume(n);
                c.write(reply + "\r\n");
                ++handled;
            }
        };
        return h;
    }));
    // 16 MB of replies for 12 KB of commands: more than the kernel's socket
    // buffers hold (the server's send buffer grows to 4 MB on Linux).
    constexpr size_t lines = 4000;
    size_t handled_while_not_reading = 0;
    size_t answers = 0;
    std::thread client([&, port = server.bound_port("flood")] {
        test::BlockingClient c(port);
        int small = 64 * 1024;
        setsockopt(c.fd(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
        std::string batch;
        for (size_t i = 0; i < lines; ++i) batch += "x\r\n";
        c.send(batch);
        std::this_thread::sleep_for(500ms);
        std::atomic<bool> sampled{false};
        loop.post([&] {
            handled_while_not_reading = handled;
            sampled = true;
        });
        while (!sampled) std::this_thread::sleep_for(10ms);
        while (answers < lines && c.read_line(5000).size() == reply.size() + 2) ++answers;
        loop.post([&] { loop.stop(); });
    });
    REQUIRE(test::run_for(loop, 20s));
    client.join();
    CHECK(handled_while_not_reading < lines / 2);
    CHECK(worst_pending_at_input <= limits.max_pending_output);
    CHECK(answers == lines);
    CHECK(handled == lines);
}

TEST_CASE("a line sent a byte at a time does not reset the idle timer; whole lines do", "[net][conn]") {
    EventLoop loop;
    int timeouts = 0;
    Server server(loop, nullptr, 100, 10);
    server.add_listener(test::local_listener("idle", [&](Connection& conn) {
        conn.set_idle_timeout(300ms);
        auto h = std::make_unique<test::FnHandler>();
        h->input = test::echo_lines;
        h->timeout = [&](Connection& c) {
            ++timeouts;
            c.close();
        };
        return h;
    }));
    bool slowloris_closed = false, talker_open = false;
    std::thread client([&, port = server.bound_port("idle")] {
        {
            test::BlockingClient c(port);
            for (int i = 0; i < 15 && !slowloris_closed; ++i) {  // 1.5 s of bytes, never a line end
                if (!c.send("a")) slowloris_closed = true;
                std::this_thread::sleep_for(100ms);
            }
            if (!slowloris_closed) slowloris_closed = c.wait_closed(3000);
        }
        test::BlockingClient c(port);
        for (int i = 0; i < 10; ++i) {  // 1 s of whole lines, each one progress
            std::this_thread::sleep_for(100ms);
            c.send("ping\r\n");
            if (c.read_line() != "ping\r\n") return loop.post([&] { loop.stop(); });
        }
        talker_open = true;
        loop.post([&] { loop.stop(); });
    });
    REQUIRE(test::run_for(loop, 20s));
    client.join();
    CHECK(slowloris_closed);
    CHECK(talker_open);
    CHECK(timeouts == 1);
}

TEST_CASE("InputBuffer counts line ends and runs of consumed bytes as progress", "[net][conn]") {
    InputBuffer in;
    in.append("abc", 3);
    in.consume(2);
    CHECK(in.progress() == 0);  // part of a line
    in.append("\r\n", 2);
    in.consume(3);
    CHECK(in.progress() == 1);  // the line end was taken
    std::string literal(20 * 1024, 'z');
    in.append(literal.data(), literal.size());
    in.consume(literal.size());
    CHECK(in.progress() == 2);  // 16 KiB without a line end is a step too
    in.append("never ending", 12);
    in.clear();
    CHECK(in.progress() == 2);  // dropping input is no progress
}

TEST_CASE("the pre-login idle limit applies until mark_authenticated", "[net][conn]") {
    EventLoop loop;
    ConnectionLimits limits;
    limits.preauth_idle_timeout = 200ms;
    Server server(loop, nullptr, 100, 10, limits);
    // 30 s: the protocol's own limit, after login.
    server.add_listener(test::local_listener("login", test::input_factory(test::login_lines, 30s)));
    bool anonymous_closed = false;
    std::string after_login;
    std::thread client([&, port = server.bound_port("login")] {
        test::BlockingClient anonymous(port), member(port);
        member.send("login u\r\n");
        bool logged_in = member.read_line() == "ok\r\n";
        anonymous_closed = anonymous.wait_closed(3000);
        std::this_thread::sleep_for(400ms);  // twice the pre-login limit
        if (logged_in && member.send("still here\r\n")) after_login = member.read_line();
        loop.post([&] { loop.stop(); });
    });
    REQUIRE(test::run_for(loop, 20s));
    client.join();
    CHECK(anonymous_closed);
    CHECK(after_login == "still here\r\n");
}
