#include "tests/unit/net/net_test_support.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace pochta::net::test {

bool run_for(EventLoop& loop, std::chrono::milliseconds limit) {
    bool timed_out = false;
    auto deadline = loop.start_timer(limit, [&] {
        timed_out = true;
        loop.stop();
    });
    loop.run();
    return !timed_out;
}

BlockingClient::BlockingClient(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    timeval tv{5, 0};
    setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd_);
        fd_ = -1;
    }
}

BlockingClient::~BlockingClient() {
    if (fd_ >= 0) ::close(fd_);
}

bool BlockingClient::send(std::string_view data) {
    while (!data.empty()) {
        ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
}

std::string BlockingClient::read_line(int timeout_ms) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
        if (auto lf = pending_.find('\n'); lf != std::string::npos) {
            std::string line = pending_.substr(0, lf + 1);
            pending_.erase(0, lf + 1);
            return line;
        }
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return "";
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return "";
        char buf[4096];
        ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
        if (n <= 0) return "";
        pending_.append(buf, static_cast<size_t>(n));
    }
}

bool BlockingClient::wait_closed(int timeout_ms, std::string* unexpected) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    bool clean = pending_.empty();
    if (unexpected) *unexpected += pending_;
    pending_.clear();
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return false;
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
        char buf[4096];
        ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
        if (n <= 0) return clean;
        clean = false;
        if (unexpected) unexpected->append(buf, static_cast<size_t>(n));
    }
}

void echo_lines(Connection& conn) {
    while (size_t n = conn.input().line_length()) {
        std::string line(conn.input().view().substr(0, n));
        conn.input().consume(n);
        if (line == "quit\r\n") {
            conn.write("bye\r\n");
            conn.close();
            return;
        }
        conn.write(line);
    }
}

void login_lines(Connection& conn) {
    size_t n = conn.input().line_length();
    if (!n) return;
    std::string line(conn.input().view().substr(0, n));
    conn.input().consume(n);
    if (line.rfind("login ", 0) == 0) {
        std::string user = line.substr(6, line.size() - 8);
        conn.write(conn.mark_authenticated(user) ? "ok\r\n" : "limit\r\n");
    } else {
        conn.write(line);
    }
}

HandlerFactory input_factory(std::function<void(Connection&)> input, std::chrono::milliseconds idle) {
    return [input = std::move(input), idle](Connection& conn) {
        if (idle.count() > 0) conn.set_idle_timeout(idle);
        auto h = std::make_unique<FnHandler>();
        h->input = input;
        return h;
    };
}

ListenerSpec local_listener(const std::string& name, HandlerFactory factory, bool implicit_tls) {
    ListenerSpec spec;
    spec.name = name;
    spec.address.host = "127.0.0.1";
    spec.address.port = 0;
    spec.address.text = "127.0.0.1:0";
    spec.implicit_tls = implicit_tls;
    spec.factory = std::move(factory);
    return spec;
}

std::string capture_stderr(const std::function<void()>& fn) {
    std::fflush(stderr);
    FILE* tmp = std::tmpfile();
    int saved = ::dup(2);
    ::dup2(fileno(tmp), 2);
    try {
        fn();
    } catch (...) {
        std::fflush(stderr);
        ::dup2(saved, 2);
        ::close(saved);
        std::fclose(tmp);
        throw;
    }
    std::fflush(stderr);
    ::dup2(saved, 2);
    ::close(saved);
    std::rewind(tmp);
    std::string out;
    char buf[1024];
    while (size_t n = std::fread(buf, 1, sizeof buf, tmp)) out.append(buf, n);
    std::fclose(tmp);
    return out;
}

}  // namespace pochta::net::test
