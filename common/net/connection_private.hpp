// Internal to common/net: the state behind Connection, shared by
// connection.cpp (socket, input, output, close), connection_tls.cpp
// (handshakes) and server.cpp (through ConnectionAccess).
#pragma once

#include <memory>
#include <string>

#include "common/net/compression.hpp"
#include "common/net/connection.hpp"
#include "common/net/handle_box.hpp"
#include "common/net/tls_session.hpp"
#include "common/util/log.hpp"

namespace pochta::net {

struct Connection::Private {
    Private(Connection& owner, ConnectionLimits lim) : self(owner), limits(lim) {}
    ~Private();

    enum class Phase { created, connecting, open, closed };

    Connection& self;
    ConnectionLimits limits;
    Phase phase = Phase::created;
    detail::Box<uv_tcp_t>* tcp = nullptr;      // null once closed
    detail::Box<uv_timer_t>* timer = nullptr;  // idle, handshake, connect and linger timer
    std::shared_ptr<Connection> keepalive;     // set while tcp is open

    bool started = false;          // start() was called
    bool opened = false;           // on_open was called, so on_closed is due
    bool reading = false;          // uv_read_start is in effect
    bool peer_eof = false;         // the peer finished sending
    bool peer_eof_told = false;    // on_peer_closed was called
    bool close_requested = false;  // close() waits for the output to drain
    bool shutdown_started = false;
    bool in_service = false;       // guards service() against re-entry
    bool service_again = false;
    bool service_posted = false;

    // Output: at most one uv_write in flight; later bytes gather in `queued`.
    bool write_in_flight = false;
    size_t in_flight_bytes = 0;
    std::string queued;
    std::string plain_pending;  // written during a TLS handshake

    std::unique_ptr<detail::TlsSession> tls;
    std::shared_ptr<TlsContext> tls_ctx;  // keeps SSL_CTX alive as long as the SSL
    std::function<void(bool)> tls_done;
    bool handshaking = false;

    // COMPRESS=DEFLATE, under TLS when both are on (start_compression()).
    std::unique_ptr<detail::Compression> compression;
    size_t uncompressed_pending = 0;  // written, waiting in the deflater (counted in pending_output_)
    bool compression_flush_posted = false;

    std::chrono::milliseconds idle_timeout{0};
    bool authenticated = false;
    bool output_blocked = false;  // see ConnectionLimits::max_pending_output

    std::function<void(std::shared_ptr<Connection>, std::string)> connect_done;
    bool connect_timed_out = false;

    std::function<void()> on_gone;  // the Server forgets the connection
    // The Server's per user and IP check for mark_authenticated().
    std::function<bool(const std::string& user)> on_authenticated;

    int init_tcp();
    void fill_addresses();
    void handle_closed();
    void close_handle();

    // Runs a Handler callback; an exception aborts the connection.
    template <typename F>
    void call(const char* what, F&& fn);

    // Input.
    void on_bytes(const char* data, size_t n);
    void on_read_end(ssize_t status);
    void service();
    void schedule_service();
    bool decrypt();
    bool inflate();
    bool deliver();
    void update_reading();

    // Output.
    void queue_raw(std::string bytes);
    void flush_queued();  // starts the write of what queue_raw gathered
    void start_write(std::string bytes);
    void write_done(size_t bytes, int status);
    void output_drained();
    void finish_close();
    void flush_tls();
    void send_out(std::string_view bytes);  // to TLS or the socket
    void flush_compression();
    void schedule_compression_flush();

    // Timer.
    void arm_timer(std::chrono::milliseconds delay);
    void stop_timer();
    void release_timer();
    void on_timer();
    void rearm_idle();
    std::chrono::milliseconds effective_idle() const;
    void check_output_bound();

    // TLS.
    void begin_tls(std::shared_ptr<TlsContext> ctx, bool server, const std::string& sni,
                   std::function<void(bool)> done);
    void advance_handshake();
    void fail_tls(const std::string& reason);

    // Outbound.
    void on_connected(int status);
};

template <typename F>
void Connection::Private::call(const char* what, F&& fn) {
    try {
        fn();
    } catch (const std::exception& e) {
        log::error("conn {}: {} failed: {}", self.id_, what, e.what());
        self.abort();
    } catch (...) {
        log::error("conn {}: {} failed with an unknown exception", self.id_, what);
        self.abort();
    }
}

// What the Server needs beyond the public interface.
struct ConnectionAccess {
    // Accepts a pending connection from `listener`; null (with `error`) on failure.
    static std::shared_ptr<Connection> accept(EventLoop& loop, ConnectionLimits limits, uv_stream_t* listener,
                                              std::string& error);
    static void set_on_gone(Connection& conn, std::function<void()> fn) { conn.impl_->on_gone = std::move(fn); }
    static bool opened(const Connection& conn) { return conn.impl_->opened; }
    // The socket's descriptor; -1 once closed.
    static int fd(const Connection& conn);
    static void set_on_authenticated(Connection& conn, std::function<bool(const std::string&)> fn) {
        conn.impl_->on_authenticated = std::move(fn);
    }
    // Implicit TLS: handshake, then start() (or close on failure).
    static void start_implicit_tls(Connection& conn, std::shared_ptr<TlsContext> ctx);
};

}  // namespace pochta::net
