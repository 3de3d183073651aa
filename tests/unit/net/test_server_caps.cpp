// Connection caps: refusal lines, unauthenticated connections per IP,
// authenticated ones per user and IP, and the pause after EMFILE
// (README "Connections and limits").
#include <catch2/catch.hpp>

#include <sys/resource.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <thread>
#include <vector>

#include "common/net/server.hpp"
#include "tests/unit/net/net_test_support.hpp"

using namespace pochta::net;
using namespace std::chrono_literals;

namespace {

ListenerSpec refusing_listener() {
    ListenerSpec spec = test::local_listener("capped", test::input_factory(test::login_lines));
    spec.refusal = "NO too many\r\n";
    return spec;
}

}  // namespace

TEST_CASE("the per-IP cap counts connections not logged in; logins count per user and IP", "[net][server]") {
    EventLoop loop;
    Server server(loop, nullptr, 100, 1, {}, 2);
    server.add_listener(refusing_listener());
    std::string refused, first, second, third, refused_again, after_logins;
    std::thread client([&, port = server.bound_port("capped")] {
        test::BlockingClient a(port);
        a.send("ping\r\n");
        a.read_line();  // accepted: the one unauthenticated slot is taken
        test::BlockingClient over(port);
        refused = over.read_line();
        a.send("login u\r\n");
        first = a.read_line();
        test::BlockingClient b(port);  // the slot is free again
        b.send("login u\r\n");
        second = b.read_line();
        test::BlockingClient c(port);
        c.send("login u\r\n");
        third = c.read_line();  // the third of user u from this IP
        test::BlockingClient d(port);  // c is still not logged in: the slot is taken
        refused_again = d.read_line();
        c.send("login v\r\n");  // another user from the same address is welcome
        after_logins = c.read_line();
        loop.post([&] { loop.stop(); });
    });
    REQUIRE(test::run_for(loop, 20s));
    client.join();
    CHECK(refused == "NO too many\r\n");
    CHECK(first == "ok\r\n");
    CHECK(second == "ok\r\n");
    CHECK(third == "limit\r\n");
    CHECK(refused_again == "NO too many\r\n");
    CHECK(after_logins == "ok\r\n");
}

TEST_CASE("the total cap sends the refusal line, and a closed login frees its count", "[net][server]") {
    EventLoop loop;
    Server server(loop, nullptr, 1, 10, {}, 1);
    server.add_listener(refusing_listener());
    std::string refused, relogin;
    std::thread client([&, port = server.bound_port("capped")] {
        {
            test::BlockingClient a(port);
            a.send("login u\r\n");
            a.read_line();
            test::BlockingClient over(port);
            refused = over.read_line();
        }
        std::this_thread::sleep_for(200ms);  // a's close reaches the server
        test::BlockingClient b(port);
        b.send("login u\r\n");
        relogin = b.read_line();
        loop.post([&] { loop.stop(); });
    });
    REQUIRE(test::run_for(loop, 20s));
    client.join();
    CHECK(refused == "NO too many\r\n");
    CHECK(relogin == "ok\r\n");
}

TEST_CASE("running out of descriptors: accepting pauses, is logged once, and resumes", "[net][server]") {
    rlimit saved{};
    REQUIRE(getrlimit(RLIMIT_NOFILE, &saved) == 0);
    EventLoop loop;
    Server server(loop, nullptr, 100, 100);
    server.add_listener(test::local_listener("fd", test::input_factory(test::echo_lines)));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(server.bound_port("fd"));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    // The client sockets exist before the limit drops; connecting needs no
    // new descriptor, accepting does.
    std::vector<int> clients;
    for (int i = 0; i < 20; ++i) clients.push_back(::socket(AF_INET, SOCK_STREAM, 0));
    int probe = ::dup(0);
    ::close(probe);
    rlimit low = saved;
    low.rlim_cur = static_cast<rlim_t>(probe) + 4;  // fewer spare descriptors than the server keeps
    std::string log = test::capture_stderr([&] {
        REQUIRE(setrlimit(RLIMIT_NOFILE, &low) == 0);
        for (int fd : clients) ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
        auto t = loop.start_timer(300ms, [&] { loop.stop(); });
        loop.run();
        setrlimit(RLIMIT_NOFILE, &saved);
    });
    CHECK(server.connection_count() == 1);  // the one that found the limit, then the pause
    size_t lines = 0;
    for (size_t at = log.find("accept on fd"); at != std::string::npos; at = log.find("accept on fd", at + 1)) ++lines;
    CHECK(lines == 1);  // a flood of errors, one line
    // After the pause the waiting clients are taken.
    auto t = loop.start_timer(2000ms, [&] { loop.stop(); });
    loop.run();
    CHECK(server.connection_count() == clients.size());
    for (int fd : clients) ::close(fd);
}
