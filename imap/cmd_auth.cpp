// Commands valid in any state and before login: CAPABILITY, NOOP, LOGOUT,
// STARTTLS, LOGIN, AUTHENTICATE (PLAIN, LOGIN; SASL-IR), ID, ENABLE, NAMESPACE.
#include <fmt/format.h>

#include "common/auth/password.hpp"
#include "common/auth/sasl.hpp"
#include "common/util/log.hpp"
#include "common/util/strings.hpp"
#include "imap/session.hpp"

namespace pochta::imap {
namespace {

constexpr std::string_view unsupported_mechanism = "Unsupported authentication mechanism";

// How a failed AUTHENTICATE ends: BAD for an exchange the client broke off
// or garbled (RFC 9051 section 6.2.2), NO for one the server refuses.
struct SaslRefusal {
    bool bad;
    std::string_view text;
    std::string_view code;
};

SaslRefusal sasl_refusal(auth::SaslFailure failure) {
    switch (failure) {
        case auth::SaslFailure::unknown_mechanism: return {false, unsupported_mechanism, {}};
        case auth::SaslFailure::cancelled: return {true, "Authentication cancelled", {}};
        case auth::SaslFailure::malformed_base64: return {true, "Invalid base64 in response", {}};
        case auth::SaslFailure::too_long: return {true, "Authentication response too long", {}};
        case auth::SaslFailure::bad_plain: return {true, "Invalid AUTHENTICATE PLAIN response", {}};
        case auth::SaslFailure::authzid_mismatch: return {false, "Authentication failed", "AUTHORIZATIONFAILED"};
        case auth::SaslFailure::out_of_turn: break;
    }
    return {true, "No authentication in progress", {}};
}

}  // namespace

void Session::cmd_capability() {
    send(fmt::format("* CAPABILITY {}\r\n", capabilities()));
    ok("CAPABILITY completed");
}

void Session::cmd_noop() {
    if (!selected_) return ok(name_ + " completed");
    // Ask the store rather than wait for the notifier: a client that just
    // saw another session's OK expects NOOP to show the change.
    refresh([this] { ok(name_ + " completed"); });
}

void Session::cmd_logout() {
    send("* BYE Logging out\r\n");
    // Nothing untagged may follow the BYE but the tagged OK (RFC 9051
    // 6.1.3): pending expunges and flag changes of the mailbox go unsaid.
    selected_.reset();
    state_ = State::logout;
    ok("LOGOUT completed");
    conn_->close();
}

void Session::cmd_starttls() {
    if (!ctx_.tls) return no("STARTTLS not available");
    if (conn_->tls_active()) return bad("TLS already active");
    send(status_line(tag_, Status::ok, "", "Begin TLS negotiation now"));
    // The command stays "busy" until the handshake is done, so nothing is
    // read meanwhile; buffered plaintext is dropped (RFC 3501 6.2.1).
    parser_.reset();
    conn_->pause_input();
    conn_->start_tls_server(ctx_.tls, ref().bind([](Session& self, bool ok) {
        if (!ok) return;
        self.parser_.reset();
        self.lines_.reset();
        self.busy_ = false;
        self.update_pause();
    }));
}

void Session::cmd_login(const Command& cmd) {
    if (!tls_ok()) return no("LOGIN is disabled before STARTTLS", "PRIVACYREQUIRED");
    if (cmd.args.size() != 2 || !cmd.args[0].astring() || !cmd.args[1].astring())
        return bad("LOGIN needs a user name and a password");
    verify_credentials(cmd.args[0].text, cmd.args[1].text);
}

void Session::cmd_authenticate(const Command& cmd) {
    if (cmd.args.empty() || cmd.args.size() > 2 || !cmd.args[0].is_atom()) return bad("AUTHENTICATE needs a mechanism");
    if (!tls_ok()) return no("Authentication is disabled before STARTTLS", "PRIVACYREQUIRED");
    auto& sasl = sasl_.emplace(cmd.args[0].text);
    auto prompt = sasl.begin();
    // The mechanism is judged before the initial response.
    if (std::holds_alternative<auth::SaslFailure>(prompt)) return on_sasl_step(std::move(prompt));
    if (cmd.args.size() == 2 && !cmd.args[1].is_atom()) {
        sasl_.reset();
        return bad("Invalid initial response");
    }
    // SASL-IR (RFC 4959): the initial response is the first response.
    on_sasl_step(cmd.args.size() == 2 ? sasl.step(cmd.args[1].text) : std::move(prompt));
}

void Session::on_auth_response(const std::string& line) {
    // sasl_ is set while a response is awaited; the guard keeps a broken
    // invariant from becoming a crash.
    on_sasl_step(sasl_ ? sasl_->step(line) : auth::SaslStep{auth::SaslFailure::out_of_turn});
}

void Session::on_sasl_step(auth::SaslStep step) {
    if (auto* challenge = std::get_if<auth::SaslChallenge>(&step)) {
        input_ = Input::auth_response;
        return send("+ " + challenge->base64 + "\r\n");
    }
    input_ = Input::command;
    sasl_.reset();
    if (auto* failure = std::get_if<auth::SaslFailure>(&step)) {
        if (*failure == auth::SaslFailure::authzid_mismatch)
            session::Login::log_failure("imap", conn_->peer_ip(), {}, "authzid");
        auto refusal = sasl_refusal(*failure);
        return refusal.bad ? bad(refusal.text) : no(refusal.text, refusal.code);
    }
    auto& credentials = std::get<auth::Credentials>(step);
    verify_credentials(std::move(credentials.username), std::move(credentials.password));
}

// The password check runs on the hash pool; its answer comes after the
// throttle's delay (session::Login).
void Session::verify_credentials(std::string username, std::string password) {
    login_.check(*conn_, session::LoginServices{ctx_.check_password, ctx_.throttle, *ctx_.hash_pool},
                 std::move(username), std::move(password),
                 [this](const session::Login::Outcome& outcome) { on_login(outcome); });
}

void Session::on_login(const session::Login::Outcome& outcome) {
    using Result = session::Login::Result;
    if (outcome.result == Result::accepted) return login_succeeded(outcome.user);
    if (outcome.result == Result::unavailable) return no("Too many logins under way, try again later", "UNAVAILABLE");
    if (outcome.result == Result::too_many_connections)
        return no("Too many connections for this user from this address", "LIMIT");
    no("Authentication failed", "AUTHENTICATIONFAILED");
}

void Session::login_succeeded(const std::string& user) {
    std::string u = user;
    run_store<bool>(
        [u](store::Store& store) {
            store.ensure_user(u);  // INBOX and the special-use folders exist from the first login
            return true;
        },
        [u](Session& self, bool, store::Error error) {
            if (!error.empty()) {
                log::error("imap user={} cannot prepare mailboxes: {}", u, error);
                return self.no("Mail store unavailable, try again later", "UNAVAILABLE");
            }
            self.user_ = u;
            self.state_ = State::authenticated;
            self.parser_ = CommandParser(ParserLimits{});
            self.parser_.set_literal_sink(
                [session = &self](const LiteralAnnouncement& literal) { return session->literal_sink(literal); });
            self.notifier_id_ = self.ctx_.notifier.add(
                u, self.ref().bind([](Session& session, const store::ChangeEvent& e) { session.on_store_change(e); }));
            log::info("imap client={} user={} logged in ({})", self.conn_->peer_ip(), u,
                      self.conn_->tls_active() ? self.conn_->tls_description() : "no TLS");
            // K-9 and others read the new list here and never ask again.
            self.ok("Logged in", "CAPABILITY " + self.capabilities());
        });
}

void Session::cmd_id(const Command& cmd) {
    if (cmd.args.size() != 1 || !(cmd.args[0].is_nil() || cmd.args[0].is_list())) return bad("ID needs a list or NIL");
    send("* ID (\"name\" \"pochta\" \"vendor\" \"pochta\")\r\n");
    ok("ID completed");
}

void Session::cmd_enable(const Command& cmd) {
    if (cmd.args.empty()) return bad("ENABLE needs capability names");
    for (const auto& arg : cmd.args)
        if (!arg.is_atom()) return bad("ENABLE takes atoms");
    // Unknown names are ignored (RFC 5161 section 3.1); only what this
    // command newly enabled is listed.
    std::string enabled;
    for (const auto& arg : cmd.args) {
        std::string name = to_lower(arg.text);
        if (name == "condstore" && !condstore_enabled_) {
            enable_condstore();
            enabled += " CONDSTORE";
        } else if (name == "qresync" && !qresync_enabled_) {
            qresync_enabled_ = true;  // implies CONDSTORE (RFC 7162 3.2.3)
            enable_condstore();
            enabled += " QRESYNC";
        } else if (name == "utf8=accept" && !utf8_enabled_) {
            utf8_enabled_ = true;  // names as raw UTF-8 from now on (RFC 6855 3)
            enabled += " UTF8=ACCEPT";
        } else if (name == "imap4rev2" && !imap4rev2_ && !selected_) {
            // RFC 9051 appendix A. Not with a mailbox selected (ENABLE
            // belongs before SELECT, RFC 5161 3.1): its view already holds
            // \Recent messages that rev2 must never show.
            imap4rev2_ = true;
            utf8_enabled_ = true;  // mailbox names in UTF-8 on the wire (RFC 9051 5.1)
            enabled += " IMAP4rev2";
        }
    }
    send("* ENABLED" + enabled + "\r\n");
    ok("ENABLE completed");
}

void Session::cmd_namespace() {
    // RFC 2342: the user's own mailboxes, no other users', and the shared
    // list archives (README.md, "Mailing lists": The archive).
    send("* NAMESPACE ((\"\" \"/\")) NIL ((\"Lists/\" \"/\"))\r\n");
    ok("NAMESPACE completed");
}

}  // namespace pochta::imap
