#include "pop3/session.hpp"

#include <fmt/format.h>

#include "common/auth/password.hpp"
#include "common/util/log.hpp"
#include "pop3/session_limits.hpp"

namespace pochta::pop3 {

Session::Session(SessionContext& ctx) : ctx_(ctx) {}

// The lock goes with the session, whatever ended it.
Session::~Session() = default;

void Session::reply(std::string_view text) {
    write(text);
    write("\r\n");
}

// While a batch of pipelined commands is handled, replies collect here and
// go out together: one TLS record and one system call instead of one per
// reply. Outside process_commands every write goes straight out.
void Session::write(std::string_view data) {
    if (!batching_) return conn_->write(data);
    out_.append(data);
    if (out_.size() >= batch_output) flush();
}

void Session::flush() {
    if (!out_.empty()) conn_->write(std::exchange(out_, {}));
}

void Session::close() {
    flush();
    conn_->close();
}

bool Session::tls_ok() const { return conn_->tls_active() || ctx_.plaintext_auth; }

void Session::on_open(net::Connection& conn) {
    conn_ = &conn;
    conn.set_idle_timeout(ctx_.idle_timeout);
    reply(fmt::format("+OK {} POP3 server ready", ctx_.hostname));
}

void Session::on_timeout(net::Connection& conn) {
    if (transfer_) {
        // A slow reader of a big message is not idle: the timer counts
        // from its last command, so give it another period.
        conn.set_idle_timeout(ctx_.idle_timeout);
        return;
    }
    // RFC 1939 section 3: autologout without entering the UPDATE state.
    log::info("pop3 client={} user={} idle timeout", conn.peer_ip(), user_.empty() ? "-" : user_);
    reply("-ERR autologout: idle for too long");
    close();
}

void Session::on_shutdown(net::Connection&) {
    // A login's answer is worth nothing now: its check is dropped, not
    // waited for (README.md: the server stops within 10 s).
    bool logging_in = login_.pending();
    login_.cancel();
    if (input_ == Input::busy && !logging_in) {
        shutting_down_ = true;  // say goodbye once the step under way is done
        return;
    }
    reply("-ERR [SYS/TEMP] server shutting down, no messages deleted");
    close();
}

void Session::on_closed(net::Connection&) {
    login_.cancel();
    // A dropped connection deletes nothing, but RETR did send what it sent.
    transfer_.reset();
    flush_seen();
    lock_.reset();
}

void Session::on_drained(net::Connection&) {
    if (transfer_ && !transfer_->reading) pump_transfer();
}

void Session::on_input(net::Connection&) { process_commands(); }

// Handles the buffered commands in order (PIPELINING) until one has to wait.
void Session::process_commands() {
    batching_ = true;
    struct Flush {
        Session& self;
        ~Flush() {
            self.flush();
            self.batching_ = false;
        }
    } flush_at_end{*this};
    while (!conn_->closing() && !conn_->input_paused() && input_ != Input::busy) {
        // The client sends commands and does not read the replies: stop
        // here; the connection's back-pressure calls again once it reads
        // (README.md, "Connections and limits").
        if (conn_->pending_output() > max_queued_output) return;
        size_t limit = input_ == Input::command ? max_command_line : max_sasl_line;
        session::Line line = lines_.next(conn_->input(), limit);
        if (line.kind == session::Line::Kind::none) return;
        if (line.kind == session::Line::Kind::too_long) {
            if (input_ != Input::command) {  // an AUTH response: the exchange is over
                input_ = Input::command;
                sasl_.reset();
            }
            reply("-ERR line too long");
            count_error();
            continue;
        }
        if (input_ == Input::command) dispatch(parse_command(line.text));
        else on_sasl_step(sasl_->step(line.text));
    }
}

void Session::count_error() {
    if (++errors_ < max_errors) return;
    reply("-ERR too many errors, closing");
    close();
}

// A store call, password check or transfer is under way: later commands wait.
void Session::busy() {
    input_ = Input::busy;
    conn_->pause_input();
}

void Session::resume() {
    input_ = Input::command;
    if (shutting_down_) {
        reply("-ERR [SYS/TEMP] server shutting down, no messages deleted");
        return close();
    }
    conn_->resume_input();
}

bool Session::allowed_in_state(Verb verb) const {
    switch (verb) {
        case Verb::capa:
        case Verb::quit: return true;
        case Verb::user:
        case Verb::pass:
        case Verb::apop:
        case Verb::stls:
        case Verb::auth: return state_ == State::authorization;
        default: return state_ == State::transaction;
    }
}

void Session::dispatch(const Command& cmd) {
    if (cmd.verb == Verb::unknown) {
        reply(fmt::format("-ERR unknown command {}", cmd.verb_text));
        return count_error();
    }
    if (!allowed_in_state(cmd.verb)) {
        reply(state_ == State::authorization ? "-ERR [AUTH] log in first"
                                             : "-ERR command not valid in this state");
        return count_error();
    }
    if (!cmd.syntax_error.empty()) {
        reply("-ERR " + cmd.syntax_error);
        return count_error();
    }
    switch (cmd.verb) {
        case Verb::capa: return handle_capa();
        case Verb::quit: return handle_quit();
        case Verb::user: return handle_user(cmd);
        case Verb::pass: return handle_pass(cmd);
        case Verb::apop: return reply("-ERR APOP is not supported: use USER/PASS or AUTH over TLS");
        case Verb::stls: return handle_stls();
        case Verb::auth: return handle_auth(cmd);
        case Verb::stat: return handle_stat();
        case Verb::list: return handle_listing(cmd, false);
        case Verb::uidl: return handle_listing(cmd, true);
        case Verb::retr: return start_transfer(cmd, true);
        case Verb::top: return start_transfer(cmd, false);
        case Verb::dele: return handle_dele(cmd);
        case Verb::noop: return reply("+OK");
        case Verb::rset: return handle_rset();
        case Verb::unknown: break;
    }
}

// RFC 2449. Logging in is offered only where it is allowed (after TLS);
// the same list serves both states, so USER and SASL stay in it after login.
void Session::handle_capa() {
    std::string out = "+OK Capability list follows\r\nTOP\r\n";
    if (tls_ok()) out += "USER\r\n";
    out += "UIDL\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\nPIPELINING\r\n";
    if (tls_ok()) out += "SASL PLAIN LOGIN\r\n";
    if (ctx_.tls && !conn_->tls_active() && state_ == State::authorization) out += "STLS\r\n";
    out += "IMPLEMENTATION pochta\r\n.\r\n";
    write(out);
}

void Session::handle_stls() {
    if (!ctx_.tls) return reply("-ERR STLS not available");
    if (conn_->tls_active()) return reply("-ERR TLS already active");
    reply("+OK Begin TLS negotiation");
    flush();  // in the clear, before the handshake
    busy();
    conn_->start_tls_server(ctx_.tls, ref().bind([](Session& self, bool ok) {
        if (!ok) return;
        // RFC 2595 section 4: nothing said before TLS counts.
        self.lines_.reset();
        self.user_name_.clear();
        self.resume();
    }));
}

bool Session::lookup(uint64_t number, const MaildropMessage*& out) {
    switch (maildrop_.find(number, out)) {
        case Maildrop::Lookup::ok: return true;
        case Maildrop::Lookup::deleted: reply(fmt::format("-ERR message {} already deleted", number)); break;
        case Maildrop::Lookup::no_such:
            reply(fmt::format("-ERR no such message, only {} messages in maildrop", maildrop_.total()));
            break;
    }
    return false;
}

void Session::handle_stat() { reply(fmt::format("+OK {} {}", maildrop_.count(), maildrop_.octets())); }

// LIST and UIDL: one message, or every message not marked deleted.
void Session::handle_listing(const Command& cmd, bool uidl) {
    auto value = [uidl](const MaildropMessage& m) { return uidl ? m.uidl : std::to_string(m.size); };
    if (cmd.message) {
        const MaildropMessage* m = nullptr;
        if (!lookup(*cmd.message, m)) return;
        return reply(fmt::format("+OK {} {}", *cmd.message, value(*m)));
    }
    std::string out = uidl ? std::string("+OK unique-id listing follows\r\n")
                           : fmt::format("+OK {} messages ({} octets)\r\n", maildrop_.count(), maildrop_.octets());
    const auto& messages = maildrop_.messages();
    for (size_t i = 0; i < messages.size(); i++) {
        if (messages[i].deleted) continue;
        out += fmt::format("{} {}\r\n", i + 1, value(messages[i]));
        if (out.size() > 64 * 1024) write(std::exchange(out, {}));
    }
    out += ".\r\n";
    write(out);
}

void Session::handle_dele(const Command& cmd) {
    const MaildropMessage* m = nullptr;
    if (!lookup(*cmd.message, m)) return;
    maildrop_.mark_deleted(*cmd.message);
    reply(fmt::format("+OK message {} deleted", *cmd.message));
}

void Session::handle_rset() {
    maildrop_.reset();
    reply(fmt::format("+OK maildrop has {} messages ({} octets)", maildrop_.count(), maildrop_.octets()));
}

}  // namespace pochta::pop3
