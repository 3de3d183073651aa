// How an async result (a store call, a TLS handshake, a timer) finds its
// session again (README.md, "Session plumbing"). A protocol session lives
// inside its net::Connection, which may close while the work runs; the
// reference holds the connection weakly and get() gives the session only
// while the connection is open and still handled by that session. Loop
// thread only.
#pragma once

#include <memory>
#include <utility>

#include "common/net/connection.hpp"

namespace pochta::session {

template <typename S>
class SessionRef {
public:
    SessionRef() = default;
    SessionRef(net::Connection& conn, S& session) : conn_(conn.shared_from_this()), session_(&session) {}

    // The session, or nullptr when its connection has closed or gone.
    S* get() const {
        auto conn = conn_.lock();
        if (!conn || conn->closing() || conn->handler() != static_cast<net::Handler*>(session_)) return nullptr;
        return session_;
    }

    // A callback that runs fn(session, args...) only while get() finds the
    // session; otherwise the result is dropped.
    template <typename F>
    auto bind(F fn) const {
        return [ref = *this, fn = std::move(fn)](auto&&... args) mutable {
            if (S* session = ref.get()) fn(*session, std::forward<decltype(args)>(args)...);
        };
    }

private:
    std::weak_ptr<net::Connection> conn_;
    S* session_ = nullptr;
};

}  // namespace pochta::session
