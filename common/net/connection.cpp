// Connection lifecycle: socket, reading into the input buffer, the output
// queue and closing. TLS handshakes are in connection_tls.cpp, outbound
// connects in connection_connect.cpp.
#include <atomic>

#include "common/net/connection_private.hpp"
#include "common/net/socket_address.hpp"

namespace pochta::net {
namespace {

std::atomic<uint64_t> g_next_id{1};

// One read buffer per loop thread: libuv calls alloc and read back to back,
// and the bytes are copied out (or decrypted) before the next read, so idle
// connections need no buffer of their own.
constexpr size_t kReadBufferSize = 64 * 1024;
thread_local char t_read_buffer[kReadBufferSize];

uv_stream_t* stream(detail::Box<uv_tcp_t>* box) { return reinterpret_cast<uv_stream_t*>(&box->uv); }

Connection::Private* owner_of(uv_handle_t* handle) {
    return static_cast<Connection::Private*>(static_cast<detail::HandleBox*>(handle->data)->owner);
}

void alloc_cb(uv_handle_t*, size_t, uv_buf_t* buf) {
    buf->base = t_read_buffer;
    buf->len = kReadBufferSize;
}

struct WriteRequest {
    uv_write_t req{};
    std::string bytes;
    Connection::Private* conn = nullptr;
};

}  // namespace

static void read_cb(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
    Connection::Private* p = owner_of(reinterpret_cast<uv_handle_t*>(s));
    if (!p) return;
    auto hold = p->self.shared_from_this();
    if (nread > 0) {
        p->on_bytes(buf->base, static_cast<size_t>(nread));
    } else if (nread < 0) {
        p->on_read_end(nread);
    }
}

static void write_cb(uv_write_t* req, int status) {
    std::unique_ptr<WriteRequest> w(static_cast<WriteRequest*>(req->data));
    // The connection outlives its write requests: libuv completes (or
    // cancels) them before the handle's close callback drops `keepalive`.
    auto hold = w->conn->self.shared_from_this();
    w->conn->write_done(w->bytes.size(), status);
}

static void shutdown_cb(uv_shutdown_t* req, int) {
    auto* p = static_cast<Connection::Private*>(req->data);
    delete req;
    p->close_handle();
}

static void timer_cb(uv_timer_t* handle) { detail::box_of(handle)->callback(); }

void Handler::on_timeout(Connection& conn) { conn.close(); }
void Handler::on_shutdown(Connection& conn) { conn.close(); }

Connection::Connection(EventLoop& loop, ConnectionLimits limits)
    : loop_(loop), id_(g_next_id.fetch_add(1)), impl_(std::make_unique<Private>(*this, limits)) {}

Connection::~Connection() {
    // The session goes first: its destructor may still look at the connection.
    handler_.reset();
}

Connection::Private::~Private() {
    release_timer();
    if (tcp) {  // only when init failed half-way; an open socket holds keepalive
        tcp->owner = nullptr;
        tcp->on_close = nullptr;
        tcp->close();
    }
}

int Connection::Private::init_tcp() {
    auto* box = new detail::Box<uv_tcp_t>(self.loop_.uv());
    if (int err = uv_tcp_init(self.loop_.uv(), &box->uv); err < 0) {
        box->close();
        return err;
    }
    box->adopt();
    box->owner = this;
    box->on_close = [this] { handle_closed(); };
    tcp = box;
    keepalive = self.shared_from_this();
    return 0;
}

void Connection::Private::fill_addresses() {
    sockaddr_storage addr{};
    int len = sizeof addr;
    if (uv_tcp_getpeername(&tcp->uv, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
        detail::describe_sockaddr(addr, self.peer_ip_, self.peer_port_);
    len = sizeof addr;
    if (uv_tcp_getsockname(&tcp->uv, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
        detail::describe_sockaddr(addr, self.local_ip_, self.local_port_);
}

void Connection::Private::handle_closed() {
    auto hold = std::move(keepalive);  // `this` may be freed when it goes
    keepalive = nullptr;
    tcp = nullptr;
    reading = false;
    phase = Phase::closed;
    self.closing_ = true;
    self.pending_output_ = 0;
    queued.clear();
    plain_pending.clear();
    release_timer();
    if (!detail::state_of(self.loop_.uv()).tearing_down) {
        if (auto done = std::move(tls_done)) {
            tls_done = nullptr;
            call("TLS completion", [&] { done(false); });
        }
        if (opened && self.handler_) call("on_closed", [&] { self.handler_->on_closed(self); });
    }
    opened = false;
    if (auto gone = std::move(on_gone)) {
        on_gone = nullptr;
        gone();
    }
}

void Connection::Private::close_handle() {
    if (!tcp || tcp->closing()) return;
    reading = false;
    stop_timer();
    tcp->close();  // handle_closed() follows from the close callback
}

void Connection::start() {
    auto& p = *impl_;
    if (p.started || closing_ || p.phase != Private::Phase::open) return;
    if (!handler_) {
        log::error("conn {}: started without a session", id_);
        abort();
        return;
    }
    auto hold = shared_from_this();
    p.started = true;
    p.opened = true;
    p.call("on_open", [&] { handler_->on_open(*this); });
    p.rearm_idle();  // the pre-login limit runs even if the session sets none
    p.service();
}

// ---- input -----------------------------------------------------------------

void Connection::Private::on_bytes(const char* data, size_t n) {
    if (self.closing_) return;
    // No rearm_idle() here: bytes are not progress (see set_idle_timeout).
    if (tls) {
        tls->feed(data, n);
        if (handshaking) advance_handshake();
    } else if (compression) {
        compression->compressed_input().append(data, n);
    } else {
        self.input_.append(data, n);
    }
    service();
}

void Connection::Private::on_read_end(ssize_t status) {
    if (status != UV_EOF) {
        log::debug("conn {}: read from {}: {}", self.id_, self.peer_ip_, uv_strerror(static_cast<int>(status)));
        self.abort();
        return;
    }
    peer_eof = true;
    if (handshaking) {
        fail_tls("TLS handshake: connection closed by peer");
        return;
    }
    service();
}

// Decrypts, hands input to the session as long as it makes progress, then
// decides whether to keep reading from the socket.
void Connection::Private::service() {
    if (in_service) {
        service_again = true;
        return;
    }
    auto hold = self.shared_from_this();
    in_service = true;
    do {
        service_again = false;
        if (self.closing_) break;
        if (tls && tls->established() && !handshaking && !decrypt()) break;
        if (compression && !inflate()) break;
        bool more = (tls && tls->has_buffered_input()) || (compression && !compression->compressed_input().empty());
        if (deliver() && more) service_again = true;
    } while (service_again && !self.closing_);
    in_service = false;
    if (compression && compression->pending()) flush_compression();
    flush_queued();
    if (tls && !self.closing_ && tls->established()) tls->trim();
    // The peer has finished: once the session has taken what it can (and is
    // not in the middle of something, i.e. paused, or held back by its
    // unsent output), close after the replies.
    if (peer_eof && !self.closing_ && !(self.paused_ && started) && !output_blocked) self.close();
    if (peer_eof && !self.closing_ && started && !peer_eof_told && self.handler_) {
        peer_eof_told = true;
        call("on_peer_closed", [&] { self.handler_->on_peer_closed(self); });
    }
    update_reading();
}

// Runs service() from the loop rather than from inside the caller.
void Connection::Private::schedule_service() {
    if (service_posted) return;
    service_posted = true;
    self.loop_.post([weak = self.weak_from_this()] {
        if (auto conn = weak.lock()) {
            conn->impl_->service_posted = false;
            conn->impl_->service();
        }
    });
}

bool Connection::Private::decrypt() {
    InputBuffer& plain = compression ? compression->compressed_input() : self.input_;
    auto status = tls->read(plain, limits.max_input_buffer);
    flush_tls();
    if (status == detail::TlsSession::Status::failed) {
        log::info("conn {}: {}: {}", self.id_, self.peer_ip_, tls->error());
        self.abort();
        return false;
    }
    if (status == detail::TlsSession::Status::peer_closed) peer_eof = true;
    return true;
}

bool Connection::Private::inflate() {
    if (compression->inflate(self.input_, limits.max_input_buffer)) return true;
    log::info("conn {}: {}: {}", self.id_, self.peer_ip_, compression->error());
    self.abort();
    return false;
}

bool Connection::Private::deliver() {
    bool progress = false;
    uint64_t steps = self.input_.progress();
    while (started && self.handler_ && !self.closing_ && !self.paused_ && !self.input_.empty()) {
        check_output_bound();
        if (output_blocked) break;  // write_done() resumes
        size_t before = self.input_.size();
        call("on_input", [&] { self.handler_->on_input(self); });
        if (self.input_.size() == before) break;  // waiting for more bytes
        progress = true;
    }
    if (self.input_.progress() != steps) rearm_idle();
    return progress;
}

void Connection::Private::check_output_bound() {
    if (limits.max_pending_output > 0 && self.pending_output_ > limits.max_pending_output) output_blocked = true;
}

void Connection::Private::update_reading() {
    if (!tcp || tcp->closing() || phase != Phase::open) return;
    const auto& in = self.input_;
    check_output_bound();
    bool room = in.size() < limits.max_input_buffer && !(self.paused_ && !in.empty()) && !output_blocked &&
                (!compression || compression->compressed_input().size() < limits.max_input_buffer);
    bool want = !self.closing_ && !peer_eof && (handshaking || (started && room));
    if (want && !reading) {
        if (int err = uv_read_start(stream(tcp), alloc_cb, read_cb); err < 0) {
            log::debug("conn {}: read start: {}", self.id_, uv_strerror(err));
            self.abort();
            return;
        }
        reading = true;
    } else if (!want && reading) {
        uv_read_stop(stream(tcp));
        reading = false;
    }
}

void Connection::pause_input() {
    paused_ = true;
    if (!impl_->in_service) impl_->update_reading();
}

void Connection::resume_input() {
    paused_ = false;
    if (impl_->in_service) {
        impl_->service_again = true;
    } else {
        impl_->update_reading();
        impl_->schedule_service();
    }
}

// ---- output ----------------------------------------------------------------

void Connection::write(std::string_view data) {
    auto& p = *impl_;
    if (closing_ || data.empty() || !p.tcp || p.phase != Private::Phase::open) return;
    if (p.compression) {
        if (!p.compression->write(data)) {
            log::info("conn {}: {}", id_, p.compression->error());
            abort();
            return;
        }
        pending_output_ += data.size();
        p.uncompressed_pending += data.size();
        p.schedule_compression_flush();
        return;
    }
    p.send_out(data);
}

void Connection::Private::send_out(std::string_view data) {
    if (!tls) {
        queue_raw(std::string(data));
        return;
    }
    if (!tls->established()) {
        plain_pending.append(data);
        self.pending_output_ += data.size();
        return;
    }
    if (!tls->write(data)) {
        log::info("conn {}: {}", self.id_, tls->error());
        self.abort();
        return;
    }
    flush_tls();
}

// Output written in one pass of the loop leaves as one compressed burst:
// replies of a pipelined batch (end of service()) or of one store result.
void Connection::Private::schedule_compression_flush() {
    if (in_service || compression_flush_posted) return;
    compression_flush_posted = true;
    self.loop_.post([weak = self.weak_from_this()] {
        if (auto conn = weak.lock()) {
            conn->impl_->compression_flush_posted = false;
            if (!conn->closing_) conn->impl_->flush_compression();
        }
    });
}

void Connection::Private::flush_compression() {
    std::string out = compression->flush();
    self.pending_output_ -= std::min(self.pending_output_, uncompressed_pending);
    uncompressed_pending = 0;
    send_out(out);
    // The session may be waiting for the drain of what was still uncompressed.
    if (self.pending_output_ == 0) output_drained();
}

void Connection::start_compression() {
    auto& p = *impl_;
    if (p.compression || closing_) return;
    p.compression = std::make_unique<detail::Compression>();
    // What the client sent after the COMPRESS command is compressed already.
    std::string_view rest = input_.view();
    p.compression->compressed_input().append(rest.data(), rest.size());
    input_.clear();
}

bool Connection::compression_active() const { return impl_->compression != nullptr; }

void Connection::Private::flush_tls() {
    if (!tls || !tcp || tcp->closing()) return;
    std::string out = tls->take_output();
    if (!out.empty()) queue_raw(std::move(out));
}

void Connection::Private::queue_raw(std::string bytes) {
    if (!tcp || tcp->closing() || bytes.empty()) return;
    self.pending_output_ += bytes.size();
    // While the session handles input (a pipelined batch of commands), its
    // replies are gathered and leave in one write at the end of service().
    if (write_in_flight || in_service) {
        queued.append(bytes);
        return;
    }
    start_write(std::move(bytes));
}

void Connection::Private::flush_queued() {
    if (write_in_flight || queued.empty() || !tcp || tcp->closing()) return;
    std::string next;
    next.swap(queued);
    start_write(std::move(next));
}

// `bytes` are already counted in pending_output_.
void Connection::Private::start_write(std::string bytes) {
    auto w = std::make_unique<WriteRequest>();
    w->bytes = std::move(bytes);
    w->conn = this;
    w->req.data = w.get();
    uv_buf_t buf = uv_buf_init(w->bytes.data(), static_cast<unsigned>(w->bytes.size()));
    if (int err = uv_write(&w->req, stream(tcp), &buf, 1, write_cb); err < 0) {
        self.pending_output_ -= w->bytes.size();
        log::debug("conn {}: write: {}", self.id_, uv_strerror(err));
        self.abort();
        return;
    }
    write_in_flight = true;
    in_flight_bytes = w->bytes.size();
    w.release();
}

void Connection::Private::write_done(size_t bytes, int status) {
    write_in_flight = false;
    in_flight_bytes = 0;
    self.pending_output_ -= std::min(bytes, self.pending_output_);
    if (status < 0) {
        if (status != UV_ECANCELED) {
            log::debug("conn {}: write to {}: {}", self.id_, self.peer_ip_, uv_strerror(status));
            self.abort();
        }
        return;
    }
    rearm_idle();  // the peer is reading what it asked for
    if (output_blocked && self.pending_output_ <= limits.resume_output_below) {
        output_blocked = false;
        update_reading();
        schedule_service();
    }
    if (!queued.empty() && tcp && !tcp->closing()) {
        std::string next;
        next.swap(queued);
        start_write(std::move(next));
        return;
    }
    output_drained();
}

void Connection::Private::output_drained() {
    if (self.pending_output_ != 0 || !tcp || tcp->closing()) return;
    if (self.closing_) {
        if (close_requested) finish_close();
        return;
    }
    if (opened && self.handler_) call("on_drained", [&] { self.handler_->on_drained(self); });
}

// ---- closing ---------------------------------------------------------------

void Connection::close() {
    auto& p = *impl_;
    if (closing_) return;
    closing_ = true;
    if (!p.tcp || p.phase != Private::Phase::open) {
        abort();
        return;
    }
    auto hold = shared_from_this();
    p.close_requested = true;
    if (p.reading) {
        uv_read_stop(stream(p.tcp));
        p.reading = false;
    }
    if (p.compression && p.compression->pending()) p.flush_compression();
    if (p.tls) {
        if (p.tls->established()) {
            p.tls->shutdown();  // close_notify
            p.flush_tls();
        }
        pending_output_ -= std::min(pending_output_, p.plain_pending.size());
        p.plain_pending.clear();
    }
    p.arm_timer(p.limits.close_linger);
    if (pending_output_ == 0) p.finish_close();
}

void Connection::Private::finish_close() {
    if (!tcp || tcp->closing() || shutdown_started) return;
    shutdown_started = true;
    auto* req = new uv_shutdown_t{};
    req->data = this;
    if (uv_shutdown(req, stream(tcp), shutdown_cb) < 0) {
        delete req;
        close_handle();
    }
}

void Connection::abort() {
    auto& p = *impl_;
    closing_ = true;
    p.queued.clear();
    p.plain_pending.clear();
    p.uncompressed_pending = 0;
    pending_output_ = p.in_flight_bytes;  // the cancelled write still reports back
    p.close_handle();
}

// ---- timer -----------------------------------------------------------------

void Connection::Private::arm_timer(std::chrono::milliseconds delay) {
    if (!tcp || tcp->closing()) return;
    if (!timer) {
        auto* box = new detail::Box<uv_timer_t>(self.loop_.uv());
        uv_timer_init(self.loop_.uv(), &box->uv);
        box->adopt();
        box->callback = [this] { on_timer(); };
        box->on_close = [this] { timer = nullptr; };
        timer = box;
    }
    uv_timer_start(&timer->uv, timer_cb, static_cast<uint64_t>(std::max<int64_t>(delay.count(), 0)), 0);
}

void Connection::Private::stop_timer() {
    if (timer) uv_timer_stop(&timer->uv);
}

void Connection::Private::release_timer() {
    if (!timer) return;
    // The callback is left in place: it may be the one running right now.
    timer->on_close = nullptr;
    timer->close();
    timer = nullptr;
}

void Connection::Private::rearm_idle() {
    if (handshaking || self.closing_ || phase != Phase::open) return;
    auto timeout = effective_idle();
    if (timeout.count() > 0) {
        arm_timer(timeout);
    } else {
        stop_timer();
    }
}

std::chrono::milliseconds Connection::Private::effective_idle() const {
    auto preauth = authenticated ? std::chrono::milliseconds(0) : limits.preauth_idle_timeout;
    if (preauth.count() <= 0) return idle_timeout;
    if (idle_timeout.count() <= 0) return preauth;
    return std::min(idle_timeout, preauth);
}

void Connection::Private::on_timer() {
    auto hold = self.shared_from_this();
    if (phase == Phase::connecting) {
        connect_timed_out = true;
        self.abort();
    } else if (self.closing_) {
        log::debug("conn {}: close timed out, aborting", self.id_);
        self.abort();
    } else if (handshaking) {
        fail_tls("TLS handshake timed out");
    } else if (opened && self.handler_) {
        call("on_timeout", [&] { self.handler_->on_timeout(self); });
    } else {
        self.close();
    }
}

void Connection::set_idle_timeout(std::chrono::milliseconds timeout) {
    impl_->idle_timeout = timeout;
    impl_->rearm_idle();
}

bool Connection::mark_authenticated(const std::string& user) {
    auto& p = *impl_;
    if (p.authenticated) return true;
    if (p.on_authenticated && !p.on_authenticated(user)) return false;
    p.authenticated = true;
    p.rearm_idle();
    return true;
}

bool Connection::authenticated() const { return impl_->authenticated; }

bool Connection::output_blocked() const { return impl_->output_blocked; }

// ---- accept ----------------------------------------------------------------

int ConnectionAccess::fd(const Connection& conn) {
    uv_os_fd_t fd = -1;
    auto* tcp = conn.impl_->tcp;
    if (!tcp || uv_fileno(tcp->handle(), &fd) != 0) return -1;
    return fd;
}

std::shared_ptr<Connection> ConnectionAccess::accept(EventLoop& loop, ConnectionLimits limits,
                                                     uv_stream_t* listener, std::string& error) {
    std::shared_ptr<Connection> conn(new Connection(loop, limits));
    auto& p = *conn->impl_;
    if (int err = p.init_tcp(); err < 0) {
        error = uv_strerror(err);
        return nullptr;
    }
    if (int err = uv_accept(listener, stream(p.tcp)); err < 0) {
        error = uv_strerror(err);
        conn->abort();
        return nullptr;
    }
    p.phase = Connection::Private::Phase::open;
    uv_tcp_nodelay(&p.tcp->uv, 1);
    p.fill_addresses();
    return conn;
}

}  // namespace pochta::net
