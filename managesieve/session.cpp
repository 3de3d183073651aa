#include "managesieve/session.hpp"

#include <fmt/format.h>

#include "common/util/log.hpp"
#include "managesieve/response.hpp"
#include "sieve/extensions.hpp"

namespace pochta::managesieve {
namespace {

// A command line, without its literals: far longer than any real one
// (quoted strings stop at 1,024 octets), short enough to bound the buffer.
constexpr size_t max_line = 16 * 1024;
// A literal before login: a SASL response (as long as a line).
constexpr size_t max_preauth_literal = max_line;
// Errors (unknown commands, bad arguments, failed logins) before the
// session is dropped.
constexpr unsigned max_errors = 20;
// Pipelined commands stop being handled at this much queued output; the
// connection's own bound then holds the rest back.
constexpr size_t max_queued_output = 1024 * 1024;
// The redirects one run of a script may do (README.md, "Sieve": the budget).
constexpr int max_redirects = 4;

}  // namespace

void Session::reply(std::string_view status, std::string_view code, std::string_view text) {
    write(response(status, code, text));
}

void Session::close() { conn_->close(); }

bool Session::tls_ok() const { return conn_->tls_active() || ctx_.plaintext_auth; }

void Session::on_open(net::Connection& conn) {
    conn_ = &conn;
    conn.set_idle_timeout(ctx_.idle_timeout);
    apply_limits();
    write(capabilities());
    reply("OK", "", fmt::format("{} ManageSieve ready", ctx_.hostname));
}

// Scripts come as literals once logged in, each at most the quota's size.
void Session::apply_limits() {
    framer_.set_limits(max_line, user_.empty() ? max_preauth_literal : ctx_.quota.max_script_size);
}

void Session::on_timeout(net::Connection& conn) {
    log::info("managesieve client={} user={} idle timeout", conn.peer_ip(), user_.empty() ? "-" : user_);
    reply("BYE", "", "idle for too long");
    close();
}

void Session::on_shutdown(net::Connection&) {
    bool logging_in = login_.pending();
    login_.cancel();
    if (input_ == Input::busy && !logging_in) {
        shutting_down_ = true;  // say goodbye once the store call under way is done
        return;
    }
    reply("BYE", "TRYLATER", "server shutting down");
    close();
}

void Session::on_closed(net::Connection&) { login_.cancel(); }

void Session::on_input(net::Connection&) { process_commands(); }

// Handles the buffered commands in order until one has to wait.
void Session::process_commands() {
    while (!conn_->closing() && input_ != Input::busy && !conn_->input().empty()) {
        if (conn_->pending_output() > max_queued_output) return;
        auto& in = conn_->input();
        in.consume(framer_.feed(in.view()));
        switch (framer_.status()) {
            case CommandFramer::Status::incomplete: return;
            case CommandFramer::Status::too_long:
                reply("BYE", "", "line too long");
                return close();
            case CommandFramer::Status::literal_too_large: {
                const Command cmd = parse_command(framer_.take());
                input_ = Input::command;
                sasl_.reset();
                const bool script = cmd.verb == Verb::putscript || cmd.verb == Verb::checkscript;
                reply("NO", script && !user_.empty() ? "QUOTA/MAXSIZE" : "", "literal too large");
                count_error();
                break;
            }
            case CommandFramer::Status::complete: on_framed(); break;
        }
    }
}

void Session::on_framed() {
    std::string text = framer_.take();
    if (input_ == Input::auth_response) return on_sasl_response(text);
    dispatch(parse_command(text));
}

void Session::count_error() {
    if (++errors_ < max_errors) return;
    reply("BYE", "", "too many errors");
    close();
}

// A store call or password check is under way: later commands wait.
void Session::busy() {
    input_ = Input::busy;
    conn_->pause_input();
}

void Session::resume() {
    input_ = Input::command;
    if (shutting_down_) {
        reply("BYE", "TRYLATER", "server shutting down");
        return close();
    }
    conn_->resume_input();
}

namespace {

enum class Needs { any_state, no_login, login };

Needs state_of(Verb verb) {
    switch (verb) {
        case Verb::capability:
        case Verb::logout:
        case Verb::noop: return Needs::any_state;
        case Verb::authenticate:
        case Verb::starttls: return Needs::no_login;
        default: return Needs::login;
    }
}

}  // namespace

void Session::dispatch(const Command& cmd) {
    if (cmd.verb == Verb::unknown) {
        reply("NO", "", fmt::format("unknown command {}", cmd.verb_text));
        return count_error();
    }
    if (!cmd.syntax_error.empty()) {
        reply("NO", "", cmd.syntax_error);
        return count_error();
    }
    const Needs needs = state_of(cmd.verb);
    if (needs != Needs::any_state && (needs == Needs::login) == user_.empty()) {
        reply("NO", "", user_.empty() ? "authenticate first" : "already authenticated");
        return count_error();
    }
    switch (cmd.verb) {
        case Verb::capability:
            write(capabilities());
            return reply("OK", "", "capability completed");
        case Verb::logout: return handle_logout();
        case Verb::noop: return handle_noop(cmd);
        case Verb::starttls: return handle_starttls();
        case Verb::authenticate: return handle_authenticate(cmd);
        case Verb::unauthenticate: return handle_unauthenticate();
        case Verb::havespace: return handle_havespace(cmd);
        case Verb::putscript: return handle_putscript(cmd);
        case Verb::checkscript: return handle_checkscript(cmd);
        case Verb::listscripts: return handle_listscripts();
        case Verb::setactive: return handle_setactive(cmd);
        case Verb::getscript: return handle_getscript(cmd);
        case Verb::deletescript: return handle_deletescript(cmd);
        case Verb::renamescript: return handle_renamescript(cmd);
        case Verb::unknown: break;
    }
}

// RFC 5804 section 1.7. Mechanisms are offered only where logging in is
// allowed (after TLS); "SASL" stays, empty, so clients see the list.
std::string Session::capabilities() const {
    std::string out = "\"IMPLEMENTATION\" \"pochta\"\r\n";
    out += fmt::format("\"SASL\" \"{}\"\r\n", tls_ok() && user_.empty() ? "PLAIN LOGIN" : "");
    out += "\"SIEVE\" " + string_value(sieve::capability_string()) + "\r\n";
    if (ctx_.tls && !conn_->tls_active() && user_.empty()) out += "\"STARTTLS\"\r\n";
    out += fmt::format("\"MAXREDIRECTS\" \"{}\"\r\n", max_redirects);
    if (!user_.empty()) out += "\"OWNER\" " + string_value(user_) + "\r\n";
    return out + "\"VERSION\" \"1.0\"\r\n";
}

void Session::handle_starttls() {
    if (!ctx_.tls) return reply("NO", "", "STARTTLS not available");
    if (conn_->tls_active()) return reply("NO", "", "TLS already active");
    reply("OK", "", "begin TLS negotiation now");
    busy();
    conn_->start_tls_server(ctx_.tls, ref().bind([](Session& self, bool ok) {
        if (!ok) return;
        // Nothing sent before TLS counts; the capabilities are said again
        // (RFC 5804 section 2.2).
        self.framer_.reset();
        self.write(self.capabilities());
        self.reply("OK", "", "TLS active");
        self.resume();
    }));
}

void Session::handle_logout() {
    reply("OK", "", "logout completed");
    close();
}

// RFC 5804 section 2.13: the tag comes back in a TAG response code.
void Session::handle_noop(const Command& cmd) {
    if (cmd.args.empty()) return reply("OK", "", "NOOP completed");
    reply("OK", "TAG " + string_value(cmd.args[0].value), "done");
}

}  // namespace pochta::managesieve
