// Helpers for the net tests: a blocking client socket for the peer side,
// a self-signed certificate, and running the loop with a deadline.
#pragma once

#include "tests/unit/support/self_signed_cert.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

#include "common/net/connection.hpp"
#include "common/net/loop.hpp"
#include "common/net/server.hpp"

namespace pochta::net::test {

// Runs the loop until stop() or until `limit` passed; false on the deadline.
bool run_for(EventLoop& loop, std::chrono::milliseconds limit);

// A blocking TCP client to 127.0.0.1, used from a std::thread.
class BlockingClient {
public:
    explicit BlockingClient(uint16_t port);
    ~BlockingClient();
    BlockingClient(const BlockingClient&) = delete;
    BlockingClient& operator=(const BlockingClient&) = delete;

    bool connected() const { return fd_ >= 0; }
    int fd() const { return fd_; }
    // False if the peer is gone (EPIPE, reset) or the send timed out.
    bool send(std::string_view data);
    // One line including "\n"; "" on EOF, error or timeout.
    std::string read_line(int timeout_ms = 5000);
    // Waits until the server closes (EOF or reset); false on timeout or if
    // data arrived instead (the data is appended to `*unexpected`).
    bool wait_closed(int timeout_ms = 5000, std::string* unexpected = nullptr);

private:
    int fd_ = -1;
    std::string pending_;
};

using SelfSignedCert = pochta::tls_test::SelfSignedCert;  // CN=localhost

// A Handler made of optional functions; unset ones fall back to the
// defaults (close on timeout and shutdown).
struct FnHandler : Handler {
    std::function<void(Connection&)> open, input, timeout, shutdown, drained, closed;
    void on_open(Connection& c) override {
        if (open) open(c);
    }
    void on_input(Connection& c) override {
        if (input) input(c);
    }
    void on_timeout(Connection& c) override { timeout ? timeout(c) : Handler::on_timeout(c); }
    void on_shutdown(Connection& c) override { shutdown ? shutdown(c) : Handler::on_shutdown(c); }
    void on_drained(Connection& c) override {
        if (drained) drained(c);
    }
    void on_closed(Connection& c) override {
        if (closed) closed(c);
    }
};

// Echoes every complete line; "quit\r\n" is answered with "bye\r\n" and a close.
void echo_lines(Connection& conn);

// One line per call: "login USER" calls mark_authenticated(USER) and answers
// "ok" or "limit"; any other line is echoed.
void login_lines(Connection& conn);

// Sessions whose on_input is `input`, with `idle` as their idle timeout.
HandlerFactory input_factory(std::function<void(Connection&)> input,
                             std::chrono::milliseconds idle = std::chrono::milliseconds(0));

// A listener spec on 127.0.0.1, any port.
ListenerSpec local_listener(const std::string& name, HandlerFactory factory, bool implicit_tls = false);

// Captures what `fn` writes to stderr (fd 2).
std::string capture_stderr(const std::function<void()>& fn);

}  // namespace pochta::net::test
