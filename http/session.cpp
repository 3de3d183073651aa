#include "http/session.hpp"

#include "common/util/log.hpp"

namespace pochta::http {

void Session::on_open(net::Connection& conn) {
    conn_ = &conn;
    conn.set_idle_timeout(ctx_.keep_alive_timeout);
}

void Session::on_input(net::Connection& conn) {
    if (busy_ || conn.closing()) return;
    auto& in = conn.input();
    if (!in.empty()) start_request_deadline();
    in.consume(parser_.feed(in.view()));
    switch (parser_.status()) {
        case RequestParser::Status::incomplete: return;
        case RequestParser::Status::failed:
            log::debug("http client={} refused: {}", conn.peer_ip(), parser_.error_reason());
            return refuse(parser_.error_code());
        case RequestParser::Status::complete: return dispatch();
    }
}

void Session::start_request_deadline() {
    if (deadline_) return;
    deadline_ = conn_->loop().start_timer(ctx_.request_timeout, [this] {
        // The timer belongs to this session and dies with it.
        if (!busy_) refuse(408);
    });
}

void Session::dispatch() {
    Request request = parser_.take();
    deadline_.reset();
    busy_ = true;
    head_ = request.method == "HEAD";
    keep_alive_ = request.keep_alive() && ++requests_ < ctx_.max_requests && !shutting_down_;
    conn_->pause_input();
    Client client{ctx_.listener, conn_->peer_ip()};
    auto respond = session::SessionRef<Session>(*conn_, *this).bind(
        [](Session& self, Response response) { self.answer(std::move(response)); });
    ctx_.router.route(request, client, std::move(respond));
}

void Session::answer(Response response) {
    busy_ = false;
    bool keep = keep_alive_ && !shutting_down_;
    conn_->write(serialize(response, keep, head_));
    if (!keep) return conn_->close();
    conn_->resume_input();
}

void Session::refuse(int code) {
    deadline_.reset();
    conn_->write(serialize(Response::text(code, std::string(reason_phrase(code)) + "\n"), false, false));
    conn_->close();
}

void Session::on_timeout(net::Connection& conn) {
    // A request with its handler (waiting for the store) is not idle: give
    // it another period. Idle between requests: nothing to say, the client
    // knows keep-alive ends.
    if (busy_) return conn.set_idle_timeout(ctx_.keep_alive_timeout);
    conn.close();
}

void Session::on_shutdown(net::Connection& conn) {
    shutting_down_ = true;
    if (!busy_) conn.close();  // a request with its handler is answered first, then closed
}

}  // namespace pochta::http
