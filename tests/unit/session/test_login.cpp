// The shared login check against a real connection: answers after the
// throttle's delay, bans without a check, and a dropped check never answers.
#include <catch2/catch.hpp>

#include <sys/socket.h>
#include <unistd.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <atomic>
#include <future>
#include <thread>

#include "common/net/loop.hpp"
#include "common/net/server.hpp"
#include "common/session/login.hpp"
#include "common/session/session_ref.hpp"

using namespace pochta;
using namespace std::chrono_literals;
using Result = session::Login::Result;

namespace {

// A handler that does nothing but exist, so connections can be made.
struct Quiet : net::Handler {
    void on_open(net::Connection& c) override { conn = &c; }
    void on_input(net::Connection&) override {}
    net::Connection* conn = nullptr;
};

std::atomic<int> checks{0};

struct Fixture {
    net::EventLoop loop;
    auth::LoginThrottle throttle{auth::ThrottleSettings{.max_delay = 1s, .account_delay_after = 5, .ban_after = 3,
                                                        .ban_time = std::chrono::seconds(60)}};
    auth::HashPool pool;
    auth::PasswordCheck check = [](const std::string& user, const std::string& password) -> std::string {
        checks++;
        return password == "right" ? user : std::string();
    };
    std::unique_ptr<net::Server> server;
    Quiet* session = nullptr;
    int fd = -1;

    Fixture() {
        server = std::make_unique<net::Server>(loop, nullptr, 0, 0);
        server->add_listener(net::ListenerSpec{"t", ListenAddress{"127.0.0.1", 0, "127.0.0.1:0"}, false,
                                               [this](net::Connection&) {
                                                   auto h = std::make_unique<Quiet>();
                                                   session = h.get();
                                                   return h;
                                               }});
        fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(server->bound_port("t"));
        inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
        REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
        run_until([&] { return session && session->conn; });
    }
    ~Fixture() {
        if (fd >= 0) ::close(fd);
    }
    template <typename F>
    void run_until(F done, std::chrono::milliseconds limit = 10s) {
        auto end = std::chrono::steady_clock::now() + limit;
        auto tick = loop.start_repeating(5ms, [&] {
            if (done() || std::chrono::steady_clock::now() > end) loop.stop();
        });
        loop.run();
    }
    session::LoginServices services() { return {check, throttle, pool}; }
    // One login; the outcome and how long the answer took.
    std::pair<session::Login::Outcome, std::chrono::milliseconds> login(session::Login& l, const std::string& user,
                                                                        const std::string& password) {
        std::optional<session::Login::Outcome> got;
        auto start = std::chrono::steady_clock::now();
        l.check(*session->conn, services(), user, password, [&](session::Login::Outcome o) { got = o; });
        run_until([&] { return got.has_value(); });
        REQUIRE(got);
        return {*got, std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start)};
    }
};

}  // namespace

TEST_CASE("a login is answered with the outcome, and waits after failures", "[session][login]") {
    Fixture f;
    session::Login login("test");
    auto [ok, t0] = f.login(login, "alice", "right");
    CHECK(ok.result == Result::accepted);
    CHECK(ok.user == "alice");
    auto [bad, t1] = f.login(login, "alice", "wrong");
    CHECK(bad.result == Result::refused);
    CHECK(t1 >= 900ms);  // the failure's answer waits (max_delay 1 s here; libuv timers may fire a little early)
    // Also the success waits now: giving up and retrying gains nothing.
    auto [again, t2] = f.login(login, "alice", "right");
    CHECK(again.result == Result::accepted);
    CHECK(t2 >= 900ms);
}

TEST_CASE("a banned address is refused at once, without a check", "[session][login]") {
    Fixture f;
    session::Login login("test");
    for (int i = 0; i < 3; i++) CHECK(f.login(login, "bob", "wrong").first.result == Result::refused);
    CHECK(f.throttle.banned("127.0.0.1"));
    int before = checks;
    auto [outcome, took] = f.login(login, "alice", "right");
    CHECK(outcome.result == Result::banned);
    CHECK(checks == before);
}

TEST_CASE("a cancelled check never answers", "[session][login]") {
    Fixture f;
    bool answered = false;
    {
        session::Login login("test");
        login.check(*f.session->conn, f.services(), "alice", "right", [&](session::Login::Outcome) { answered = true; });
        CHECK(login.pending());
        login.cancel();
        CHECK_FALSE(login.pending());
        f.run_until([] { return false; }, 300ms);
    }
    CHECK_FALSE(answered);
}

TEST_CASE("SessionRef finds the session only while its connection is open", "[session][ref]") {
    Fixture f;
    session::SessionRef<Quiet> ref(*f.session->conn, *f.session);
    CHECK(ref.get() == f.session);
    int calls = 0;
    auto callback = ref.bind([&](Quiet& q, int n) {
        CHECK(&q == f.session);
        calls += n;
    });
    callback(2);
    CHECK(calls == 2);
    Quiet other;
    session::SessionRef<Quiet> wrong(*f.session->conn, other);
    CHECK(wrong.get() == nullptr);  // the connection is handled by another session
    f.session->conn->close();
    CHECK(ref.get() == nullptr);
    callback(5);
    CHECK(calls == 2);
}

namespace {

// Starts a login on its first line and waits, input paused, like the
// protocol sessions do.
struct LoggingIn : net::Handler {
    LoggingIn(session::LoginServices s) : services(s) {}
    void on_open(net::Connection&) override {}
    void on_input(net::Connection& conn) override {
        conn.input().clear();
        conn.pause_input();
        login.check(conn, services, "alice", "right", [](session::Login::Outcome) {});
    }
    void on_peer_closed(net::Connection& conn) override { login.on_peer_closed(conn); }
    // The connection frees its handler after on_closed: the flag lives with the test.
    void on_closed(net::Connection&) override { *closed = true; }
    session::LoginServices services;
    session::Login login{"test"};
    bool* closed = nullptr;
};

}  // namespace

TEST_CASE("a client that leaves in the middle of its login costs no hash", "[session][login]") {
    net::EventLoop loop;
    auth::LoginThrottle throttle;
    auth::HashPool pool(auth::HashPoolSettings{.threads = 1});
    std::atomic<int> hashed{0};
    auth::PasswordCheck check = [&](const std::string& user, const std::string&) {
        hashed++;
        return user;
    };
    // The only worker is busy until released, so the login stays queued.
    std::promise<void> release;
    std::shared_future<void> released = release.get_future().share();
    REQUIRE(pool.submit("other", {}, [released] { released.wait(); }));
    LoggingIn* handler = nullptr;
    bool closed = false;
    net::Server server(loop, nullptr, 0, 0);
    server.add_listener(net::ListenerSpec{"t", ListenAddress{"127.0.0.1", 0, "127.0.0.1:0"}, false,
                                          [&](net::Connection&) {
                                              auto h = std::make_unique<LoggingIn>(
                                                  session::LoginServices{check, throttle, pool});
                                              h->closed = &closed;
                                              handler = h.get();
                                              return h;
                                          }});
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(server.bound_port("t"));
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(::write(fd, "LOGIN\n", 6) == 6);
    auto run_until = [&](auto done) {
        auto end = std::chrono::steady_clock::now() + 10s;
        auto tick = loop.start_repeating(5ms, [&] {
            if (done() || std::chrono::steady_clock::now() > end) loop.stop();
        });
        loop.run();
    };
    run_until([&] { return handler && handler->login.pending(); });
    REQUIRE(handler);
    REQUIRE(handler->login.pending());
    ::shutdown(fd, SHUT_WR);
    run_until([&] { return closed; });
    CHECK(closed);
    release.set_value();
    for (int i = 0; i < 200 && pool.queued() > 0; i++) std::this_thread::sleep_for(5ms);
    pool.stop();  // waits for a job the worker may have taken
    CHECK(pool.queued() == 0);
    CHECK(hashed == 0);
    ::close(fd);
}
