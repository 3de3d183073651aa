// One POP3 server session (RFC 1939 with CAPA, STLS and SASL: RFC 2449,
// 2595, 5034) on the pop3 or pop3s listener, serving the user's INBOX.
// AUTHORIZATION -> TRANSACTION -> UPDATE; the maildrop is locked from login
// to the end of the session. Runs on the loop thread only; every store call
// and password check goes off the loop and comes back through a weak_ptr.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/auth/directory.hpp"
#include "common/auth/hash_pool.hpp"
#include "common/auth/login_throttle.hpp"
#include "common/auth/password.hpp"
#include "common/auth/sasl.hpp"
#include "common/net/connection.hpp"
#include "common/session/line_reader.hpp"
#include "common/session/login.hpp"
#include "common/session/session_ref.hpp"
#include "pop3/command.hpp"
#include "pop3/maildrop.hpp"
#include "pop3/maildrop_lock.hpp"
#include "pop3/retr_stream.hpp"
#include "store/async_store.hpp"

namespace pochta::pop3 {

using auth::PasswordCheck;

// What every POP3 session of one server shares. Needs no Directory, so
// tests can hand in any PasswordCheck.
struct SessionContext {
    std::string hostname;
    PasswordCheck check_password;
    auth::LoginThrottle& throttle;
    store::AsyncStore& store;
    std::shared_ptr<net::TlsContext> tls;        // null: no STLS (and no login unless plaintext_auth)
    std::shared_ptr<MaildropLocks> locks = std::make_shared<MaildropLocks>();
    std::shared_ptr<MessageTails> tails = std::make_shared<MessageTails>();
    // Accept credentials without TLS. Off in the server (README.md, POP3:
    // credentials only travel encrypted); tests turn it on.
    bool plaintext_auth = false;
    // RFC 1939 section 3: at least 10 minutes.
    std::chrono::milliseconds idle_timeout = std::chrono::minutes(10);
    // Where password hashes are checked; the server shares one among all
    // protocols, tests get their own.
    std::shared_ptr<auth::HashPool> hash_pool = std::make_shared<auth::HashPool>();
};

class Session : public net::Handler {
public:
    explicit Session(SessionContext& ctx);
    ~Session() override;

    void on_open(net::Connection& conn) override;
    void on_input(net::Connection& conn) override;
    void on_timeout(net::Connection& conn) override;
    void on_shutdown(net::Connection& conn) override;
    void on_peer_closed(net::Connection& conn) override { login_.on_peer_closed(conn); }
    void on_drained(net::Connection& conn) override;
    void on_closed(net::Connection& conn) override;

private:
    enum class State { authorization, transaction, update };
    // What the next input line is: a command, a SASL response, or nothing
    // yet (a password check, store call or transfer is under way).
    enum class Input { command, auth_response, busy };

    // A RETR or TOP being streamed from the store.
    struct Transfer {
        const MaildropMessage* message = nullptr;
        uint64_t number = 0;
        bool retr = true;            // RETR sets \Seen; TOP does not
        uint64_t offset = 0;         // next stored byte to read
        bool reading = false;
        bool started = false;        // "+OK" has gone out
        WireEncoder encoder;
        explicit Transfer(std::optional<uint64_t> lines) : encoder(lines) {}
    };

    // ---- session.cpp: lines, dispatch, the simple commands.
    void reply(std::string_view text);
    void write(std::string_view data);
    void flush();
    void close();
    void process_commands();
    void dispatch(const Command& cmd);
    bool allowed_in_state(Verb verb) const;
    void count_error();
    void busy();
    void resume();
    session::SessionRef<Session> ref() { return {*conn_, *this}; }
    bool tls_ok() const;
    void handle_capa();
    void handle_stls();
    void handle_stat();
    void handle_listing(const Command& cmd, bool uidl);
    void handle_dele(const Command& cmd);
    void handle_rset();
    bool lookup(uint64_t number, const MaildropMessage*& out);

    // ---- session_auth.cpp: USER/PASS, AUTH, the login.
    void handle_user(const Command& cmd);
    void handle_pass(const Command& cmd);
    void handle_auth(const Command& cmd);
    // Acts on what the exchange says after the AUTH command or a response
    // line: a challenge goes out and the next line answers it; a refusal or
    // the password check ends the exchange.
    void on_sasl_step(auth::SaslStep step);
    void verify_credentials(std::string username, std::string password);
    void on_login(const session::Login::Outcome& outcome);
    void load_maildrop(const std::string& user);

    // ---- session_transfer.cpp: RETR/TOP streaming, \Seen, QUIT/UPDATE.
    void start_transfer(const Command& cmd, bool retr);
    // Reads small messages from `number` on in one store call; the first
    // is served when `serve`, the rest kept in read_ahead_.
    void read_ahead(uint64_t number, bool serve);
    // Starts reading the next run while the client still has buffered
    // messages to RETR, so pipelined RETRs rarely wait for the store.
    void prefetch(uint64_t after);
    void serve_awaited();
    void serve_whole(std::string data);
    void pump_transfer();
    void on_chunk(std::string chunk, store::Error error);
    void finish_transfer();
    void complete_transfer();
    void queue_seen(uint32_t uid);
    void flush_seen();
    void handle_quit();
    void run_update();
    void on_update_done(size_t removed, const std::string& error);

    SessionContext& ctx_;
    net::Connection* conn_ = nullptr;
    State state_ = State::authorization;
    Input input_ = Input::command;
    session::LineReader lines_;
    bool shutting_down_ = false;
    bool batching_ = false;            // inside process_commands: replies collect in out_
    std::string out_;
    unsigned errors_ = 0;

    std::string user_name_;            // from USER, until PASS
    std::optional<auth::SaslExchange> sasl_;  // the AUTH exchange under way, if any
    std::string user_;                 // the authenticated user
    std::unique_ptr<MaildropLocks::Guard> lock_;
    session::Login login_{"pop3"};

    int64_t mailbox_id_ = 0;
    Maildrop maildrop_;
    std::optional<Transfer> transfer_;
    // Small messages read ahead of the RETR that will want them (clients
    // fetch in order), so most RETRs need no store round trip.
    std::unordered_map<uint64_t, std::string> read_ahead_;
    bool prefetching_ = false;
    uint64_t prefetch_first_ = 0, prefetch_last_ = 0;  // the numbers the read-ahead under way asked for
    bool awaiting_prefetch_ = false;                     // the transfer under way waits for that read-ahead
    std::vector<uint32_t> seen_pending_;  // RETR'd messages whose \Seen is not yet written
    bool seen_in_flight_ = false;
};

}  // namespace pochta::pop3
