// One HTTP/1.1 connection on the http, https or metrics listener (README.md,
// "Autoconfig, MTA-STS and metrics"): requests are read with the bounded
// parser, one at a time (a pipelined request waits in the input buffer
// until the previous answer is out), answered by the router, and the
// connection is kept for the next one unless the client or an error says
// otherwise. Loop thread only.
#pragma once

#include <chrono>
#include <memory>

#include "common/net/connection.hpp"
#include "common/net/loop.hpp"
#include "common/session/session_ref.hpp"
#include "http/request.hpp"
#include "http/router.hpp"

namespace pochta::http {

struct SessionContext {
    const Router& router;
    Listener listener = Listener::http;
    ParseLimits limits = {};
    // A whole request (line, header and body) must arrive within this of
    // its first octet: a client trickling header lines cannot hold a
    // connection for longer (the slowloris defence beside the per-IP cap).
    std::chrono::milliseconds request_timeout = std::chrono::seconds(20);
    // Between requests on a kept connection.
    std::chrono::milliseconds keep_alive_timeout = std::chrono::seconds(30);
    // Requests on one connection before it is closed after the answer.
    unsigned max_requests = 100;
};

class Session : public net::Handler {
public:
    explicit Session(const SessionContext& ctx) : ctx_(ctx) {}

    void on_open(net::Connection& conn) override;
    void on_input(net::Connection& conn) override;
    void on_timeout(net::Connection& conn) override;
    void on_shutdown(net::Connection& conn) override;

private:
    void start_request_deadline();
    void dispatch();
    void answer(Response response);
    void refuse(int code);

    const SessionContext& ctx_;
    net::Connection* conn_ = nullptr;
    RequestParser parser_{ctx_.limits};
    std::unique_ptr<net::EventLoop::Timer> deadline_;
    bool busy_ = false;            // a request is with its handler
    bool keep_alive_ = true;       // of the request being answered
    bool head_ = false;
    bool shutting_down_ = false;
    unsigned requests_ = 0;
};

}  // namespace pochta::http
