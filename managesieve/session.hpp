// One ManageSieve session (RFC 5804) on the sieve listener: users edit
// their Sieve scripts (README.md, "ManageSieve"). Non-authenticated ->
// authenticated (and back with UNAUTHENTICATE); logging in only after
// STARTTLS. Runs on the loop thread only; scripts are compiled and stored
// on the store's workers, passwords checked on the hash pool.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "common/auth/hash_pool.hpp"
#include "common/auth/login_throttle.hpp"
#include "common/auth/password.hpp"
#include "common/auth/sasl.hpp"
#include "common/net/connection.hpp"
#include "common/session/login.hpp"
#include "common/session/session_ref.hpp"
#include "managesieve/command.hpp"
#include "managesieve/framer.hpp"
#include "store/async_store.hpp"

namespace pochta::managesieve {

// What every ManageSieve session of one server shares. Needs no
// Directory, so tests can hand in any PasswordCheck.
struct SessionContext {
    std::string hostname;
    auth::PasswordCheck check_password;
    auth::LoginThrottle& throttle;
    store::AsyncStore& store;
    std::shared_ptr<net::TlsContext> tls;  // null: no STARTTLS (and no login unless plaintext_auth)
    store::SieveQuota quota;
    // Accept credentials without TLS. Off in the server (README.md: credentials
    // only travel encrypted); tests turn it on.
    bool plaintext_auth = false;
    // Without a command for this long the session ends (before login the
    // listener's shorter preauth_idle_timeout applies).
    std::chrono::milliseconds idle_timeout = std::chrono::minutes(30);
    std::shared_ptr<auth::HashPool> hash_pool = std::make_shared<auth::HashPool>();
};

class Session : public net::Handler {
public:
    explicit Session(SessionContext& ctx) : ctx_(ctx) {}

    void on_open(net::Connection& conn) override;
    void on_input(net::Connection& conn) override;
    void on_timeout(net::Connection& conn) override;
    void on_shutdown(net::Connection& conn) override;
    void on_peer_closed(net::Connection& conn) override { login_.on_peer_closed(conn); }
    void on_closed(net::Connection& conn) override;

private:
    // What the next input is: a command, a SASL response, or nothing yet
    // (a password check or store call is under way).
    enum class Input { command, auth_response, busy };

    // ---- session.cpp: framing, dispatch, the commands without scripts.
    void write(std::string_view data) { conn_->write(data); }
    void reply(std::string_view status, std::string_view code, std::string_view text);
    void close();
    void process_commands();
    void on_framed();
    void dispatch(const Command& cmd);
    void count_error();
    void busy();
    void resume();
    void apply_limits();
    session::SessionRef<Session> ref() { return {*conn_, *this}; }
    bool tls_ok() const;
    std::string capabilities() const;
    void handle_starttls();
    void handle_logout();
    void handle_noop(const Command& cmd);

    // ---- session_auth.cpp: AUTHENTICATE, UNAUTHENTICATE.
    void handle_authenticate(const Command& cmd);
    void on_sasl_response(std::string_view text);
    void on_sasl_step(auth::SaslStep step);
    void on_login(const session::Login::Outcome& outcome);
    void handle_unauthenticate();

    // ---- session_scripts.cpp: the script commands, through the store.
    void handle_putscript(const Command& cmd);
    void handle_checkscript(const Command& cmd);
    void handle_havespace(const Command& cmd);
    void handle_listscripts();
    void handle_setactive(const Command& cmd);
    void handle_getscript(const Command& cmd);
    void handle_deletescript(const Command& cmd);
    void handle_renamescript(const Command& cmd);
    // Runs `work` on a store worker for this user; `done` writes the reply
    // and the session reads commands again.
    template <typename Result>
    void offload(std::function<Result(store::Store&)> work, std::function<void(Session&, Result)> done);
    void reply_store_error(const store::Error& error);

    SessionContext& ctx_;
    net::Connection* conn_ = nullptr;
    Input input_ = Input::command;
    CommandFramer framer_;
    bool shutting_down_ = false;
    unsigned errors_ = 0;
    std::optional<auth::SaslExchange> sasl_;  // the AUTHENTICATE exchange under way, if any
    std::string user_;                        // the authenticated user; empty before login
    session::Login login_{"managesieve"};
};

}  // namespace pochta::managesieve
