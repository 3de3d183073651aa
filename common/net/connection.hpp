// A TCP connection on the loop with optional TLS (OpenSSL through memory
// BIOs), an input buffer with a hard cap, an output queue and an idle timer.
// A protocol session implements Handler; the Connection owns it.
#pragma once

#include <uv.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/net/loop.hpp"
#include "common/net/tls.hpp"

namespace pochta::net {

class Connection;

// Bytes received and not yet consumed by the session.
class InputBuffer {
public:
    std::string_view view() const { return std::string_view(data_).substr(start_); }
    size_t size() const { return data_.size() - start_; }
    bool empty() const { return size() == 0; }
    void consume(size_t n);
    void append(const char* p, size_t n);
    void clear();

    // Finds the next line ending in view(): returns the length of the line
    // including its LF (a line is "...\n"; a preceding CR is part of it), or 0 if
    // no LF is present yet. Callers check the length against their limit.
    size_t line_length() const;

    // Grows when the session consumes a line end, or another 16 KiB of
    // bytes without one (literal and BDAT data); clear() is no progress.
    // The idle deadline counts these steps, not received bytes, so a line
    // sent one byte at a time does not keep a connection alive.
    uint64_t progress() const { return progress_; }

private:
    std::string data_;
    size_t start_ = 0;
    uint64_t progress_ = 0;
    size_t partial_ = 0;  // consumed since the last step, without a line end
};

// Implemented by protocol sessions. All calls happen on the loop thread.
// Any of them may call close() or abort(); the Connection stays valid until
// the callback returns. Do not call set_handler() from inside a callback.
class Handler {
public:
    virtual ~Handler() = default;
    // The connection is established (and for implicit TLS, the handshake is done).
    virtual void on_open(Connection& conn) = 0;
    // New bytes are in conn.input(). Consume what can be handled now. Not
    // called while input is paused, nor while unsent output is above
    // ConnectionLimits::max_pending_output. Called again at once while it
    // consumes something and input remains (so consuming one command per
    // call works).
    virtual void on_input(Connection& conn) = 0;
    // The idle timer expired. Default: close.
    virtual void on_timeout(Connection& conn);
    // The server is shutting down: finish or abort, then close. Default: close.
    virtual void on_shutdown(Connection& conn);
    // The output queue has drained (for streaming large replies).
    virtual void on_drained(Connection&) {}
    // The peer finished sending while input is paused (the session is in the
    // middle of something). Default: nothing, and the connection closes once
    // the session resumes and its replies are out; a session whose work is
    // only for this client (a login check) may drop it and close now.
    virtual void on_peer_closed(Connection&) {}
    // The peer closed, an error occurred or close()/abort() completed. The
    // connection is going away; do not write. Called exactly once, and only
    // if on_open was called (not when the loop is being destroyed).
    virtual void on_closed(Connection&) {}
};

struct ConnectionLimits {
    size_t max_input_buffer = 256 * 1024;   // reading stops at this much unconsumed input
    // A TLS handshake (implicit TLS or STARTTLS) must finish within this.
    std::chrono::milliseconds handshake_timeout{30000};
    // close() waits this long for the output to drain before it aborts.
    std::chrono::milliseconds close_linger{30000};
    // Back-pressure: above this much unsent output the connection stops
    // reading and stops calling on_input, until the output drains below
    // resume_output_below. A client that sends commands and never reads
    // their replies then holds this much, not everything it asked for.
    size_t max_pending_output = 256 * 1024;
    size_t resume_output_below = 64 * 1024;
    // Idle limit until mark_authenticated() (zero: only the session's own).
    // The shorter of this and set_idle_timeout() applies before login.
    std::chrono::milliseconds preauth_idle_timeout{0};
};

// A connection keeps itself alive while its socket is open: dropping every
// shared_ptr to an open connection does not close it (a connection that was
// never started is the exception, see connect()). Hold a weak_ptr in async
// callbacks and check closing() after locking it.
class Connection : public std::enable_shared_from_this<Connection> {
public:
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    // Attaches the session. Must be called before start() (the Server does
    // both for accepted connections).
    void set_handler(std::unique_ptr<Handler> handler) { handler_ = std::move(handler); }
    Handler* handler() { return handler_.get(); }

    // Begins the session: calls Handler::on_open, then delivers input as it
    // arrives. Accepted connections are started by the Server (after the
    // handshake for implicit TLS). For an outbound connection from connect(),
    // call set_handler() then start(); for implicit TLS outbound, call
    // start_tls_client() first and start() from its callback.
    void start();

    EventLoop& loop() { return loop_; }
    InputBuffer& input() { return input_; }

    // Queues bytes for sending (encrypted when TLS is active). Writes made
    // while a handshake is running are sent encrypted after it. Ignored once
    // closing() is true.
    void write(std::string_view data);
    // Bytes queued and not yet handed to the kernel (ciphertext under TLS).
    size_t pending_output() const { return pending_output_; }

    // Flushes the output (with a TLS close_notify), then closes. Further
    // input is ignored. If the peer does not read, the connection is
    // aborted after ConnectionLimits::close_linger.
    void close();
    // Closes at once, dropping unsent output.
    void abort();
    // True after close()/abort() and once the peer has gone.
    bool closing() const { return closing_; }

    // Server side STARTTLS: call right after writing the "go ahead" reply.
    // Any input already buffered is discarded (RFC 3207 section 4.2 / RFC 2595).
    // `done(true)` after the handshake; `done(false)` on failure (the
    // connection is then closed) or if the connection closes first.
    void start_tls_server(std::shared_ptr<TlsContext> ctx, std::function<void(bool ok)> done);
    // Client side STARTTLS for the outbound SMTP client; `sni` is the host
    // name sent in SNI and checked by verification (an IP literal is checked
    // against the certificate but not sent). Buffered plaintext is discarded
    // here too (responses injected before the handshake).
    void start_tls_client(std::shared_ptr<TlsContext> ctx, const std::string& sni, std::function<void(bool ok)> done);
    bool tls_active() const;
    // "TLSv1.3 TLS_AES_256_GCM_SHA384" or "" without TLS.
    std::string tls_description() const;
    // Whether the peer certificate verified against the system CAs and the
    // name given as `sni` (client side).
    bool tls_peer_verified() const;

    // COMPRESS=DEFLATE (RFC 4978): call right after writing the tagged OK.
    // Later output is compressed (under TLS when it is on) and the input
    // after the command, buffered or not, is inflated; input stays bounded
    // by ConnectionLimits::max_input_buffer on both sides of the inflater.
    // Throws std::runtime_error when zlib has no memory.
    void start_compression();
    bool compression_active() const;

    // Stops calling on_input. Reading from the socket stops as soon as some
    // input is buffered (and always at max_input_buffer). resume_input()
    // calls on_input again (from the loop, not from inside resume_input) if
    // data is buffered. A session that consumes input outside on_input may
    // call resume_input() to have reading restarted.
    void pause_input();
    void resume_input();
    bool input_paused() const { return paused_; }

    // Idle timeout, counted from the last progress: the session consuming a
    // line end or a run of literal bytes (InputBuffer::progress()), or a
    // write reaching the peer. Received bytes alone do not reset it. Zero
    // disables it (ConnectionLimits::preauth_idle_timeout still applies
    // before mark_authenticated()).
    void set_idle_timeout(std::chrono::milliseconds timeout);

    // The session logged `user` in. Returns false, and changes nothing, when
    // the server's limit of authenticated connections for this user from
    // this IP is reached (refuse the login then). On success the connection
    // stops counting against the per-IP limit of unauthenticated
    // connections and the session's own idle timeout applies. A connection
    // outside a Server (tests, outbound) always succeeds.
    bool mark_authenticated(const std::string& user);
    bool authenticated() const;
    // True while unsent output is above ConnectionLimits::max_pending_output
    // (input is held back until it drains).
    bool output_blocked() const;

    const std::string& peer_ip() const { return peer_ip_; }
    uint16_t peer_port() const { return peer_port_; }
    const std::string& local_ip() const { return local_ip_; }
    uint16_t local_port() const { return local_port_; }
    // Unique per process, for logs.
    uint64_t id() const { return id_; }

    // Outbound connection (for the SMTP client) to an IPv4 or IPv6 literal.
    // `done(conn, error)` runs on the loop; conn is null on failure, with
    // error saying why ("connection timed out", "connection refused", ...).
    // On success call set_handler() and start() from `done`; a connection
    // that is neither started nor referenced when `done` returns is closed.
    static void connect(EventLoop& loop, const std::string& ip, uint16_t port, std::chrono::milliseconds timeout,
                        std::function<void(std::shared_ptr<Connection>, std::string error)> done);

    struct Private;

private:
    Connection(EventLoop& loop, ConnectionLimits limits);
    friend struct ConnectionAccess;
    friend struct Private;

    EventLoop& loop_;
    std::unique_ptr<Handler> handler_;
    InputBuffer input_;
    size_t pending_output_ = 0;
    bool closing_ = false;
    bool paused_ = false;
    std::string peer_ip_, local_ip_;
    uint16_t peer_port_ = 0, local_port_ = 0;
    uint64_t id_ = 0;
    std::unique_ptr<Private> impl_;
};

}  // namespace pochta::net
