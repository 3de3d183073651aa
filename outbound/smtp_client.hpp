// The outbound SMTP client (RFC 5321 as the sending side): one session on
// one outbound connection, carrying one message after another to the same
// destination. It greets (EHLO, else HELO), upgrades with STARTTLS whenever
// offered, authenticates to a relay when configured, and reports per
// recipient what the server said. Which host to use, when to retry and
// whom to bounce to are the queue runner's business. Loop thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/net/connection.hpp"
#include "common/util/liveness.hpp"
#include "outbound/smtp_client_data.hpp"
#include "outbound/smtp_client_reply.hpp"

namespace pochta::outbound {

// RFC 5321 4.5.3.2; shorter ones in tests.
struct SmtpClientTimeouts {
    std::chrono::milliseconds greeting{std::chrono::minutes(5)};
    std::chrono::milliseconds command{std::chrono::minutes(5)};    // EHLO, STARTTLS, AUTH, RSET, QUIT
    std::chrono::milliseconds mail{std::chrono::minutes(5)};
    std::chrono::milliseconds rcpt{std::chrono::minutes(5)};
    std::chrono::milliseconds data_init{std::chrono::minutes(2)};
    std::chrono::milliseconds data_block{std::chrono::minutes(3)};
    std::chrono::milliseconds data_final{std::chrono::minutes(10)};
};

struct RelayCredentials {
    std::string user;
    std::string password;
};

struct SmtpClientOptions {
    std::string helo_name;           // ours, for EHLO/HELO
    std::string remote_host;         // the MX or relay name: SNI, certificate check, logs
    std::shared_ptr<net::TlsContext> tls;    // TlsContext::client(); null = never STARTTLS
    // AUTH PLAIN to a relay. When set it is required: without TLS, or
    // without AUTH PLAIN on offer, the session fails rather than sending
    // the password in the clear or the mail unauthenticated.
    std::optional<RelayCredentials> auth;
    SmtpClientTimeouts timeouts;
    size_t chunk_size = 1024 * 1024;  // BDAT chunk
    size_t data_block = 64 * 1024;    // DATA is written in blocks of this much input
};

struct OutboundMessage {
    std::string queue_id;
    std::string from;                       // "" = the null sender
    std::vector<std::string> recipients;    // all for this destination: one transaction
    std::shared_ptr<const std::string> data;
    bool eight_bit = false;                 // see analyze_message()
    bool smtputf8 = false;
    std::chrono::system_clock::time_point arrival{};   // for the delay in the log
};

enum class Outcome { delivered, temporary, permanent };
std::string_view outcome_name(Outcome outcome);   // "sent", "deferred", "bounced"

struct RecipientResult {
    std::string recipient;
    Outcome outcome = Outcome::temporary;
    std::string reply;      // the remote reply ("550 5.1.1 ...") or our reason
    bool remote = false;    // `reply` came from the server
};

struct TransactionResult {
    std::vector<RecipientResult> recipients;   // in the message's order
    // Set when the session failed (connection lost, timeout, refused
    // greeting, TLS or AUTH failure...): the undecided recipients are then
    // temporary failures with this reason, worth trying on another host.
    std::string session_error;
    bool reusable = false;        // send() may be called for another message
    std::string relay;            // "host[ip]:port"
    std::string tls;              // "TLSv1.3 TLS_AES_256_GCM_SHA384" or ""
    bool tls_verified = false;
};

// The delivery log line, one per recipient and attempt, also for attempts
// that never reached a server (the queue runner logs those).
void log_delivery_attempt(const std::string& queue_id, const RecipientResult& result, const std::string& relay,
                          const std::string& tls, std::chrono::system_clock::time_point arrival);

// Lifetime: the connection owns its client (the client is its handler) from
// start() until the connection is gone, so a session always finishes its
// QUIT or times out on its own, whether or not its caller still cares. The
// caller keeps a Ref, which checks a util::Liveness watch before each use;
// the callbacks the client hands out check the same watch.
class SmtpClient : public net::Handler {
public:
    using Done = std::function<void(TransactionResult)>;

    // The caller's handle on a client started by start().
    class Ref {
    public:
        Ref() = default;
        // Another message on the same session, after `done` reported
        // reusable. A session that is gone or busy reports a temporary
        // failure to `done`, on the loop, never from inside send().
        void send(OutboundMessage message, Done done);
        // Ends the session politely (QUIT). A message under way fails
        // temporarily; nothing happens when the session is gone.
        void quit();
        bool reusable() const;
        // The client still exists (its connection has not been freed).
        bool alive() const { return watch_.alive(); }

    private:
        friend class SmtpClient;
        Ref(SmtpClient& client, util::Liveness::Watch watch, net::EventLoop& loop)
            : client_(&client), watch_(std::move(watch)), loop_(&loop) {}
        SmtpClient* client() const { return watch_ ? client_ : nullptr; }

        SmtpClient* client_ = nullptr;
        util::Liveness::Watch watch_;
        net::EventLoop* loop_ = nullptr;
    };

    // Makes a new client the handler of a fresh outbound connection (from
    // Connection::connect), starts it and delivers `message`. `done` runs
    // exactly once, on the loop, never from inside start() or send(); it is
    // dropped only when the loop itself is torn down.
    static Ref start(const std::shared_ptr<net::Connection>& conn, SmtpClientOptions options,
                     OutboundMessage message, Done done);
    ~SmtpClient() override;

    // net::Handler: called by the connection; not for other callers.
    void on_open(net::Connection& conn) override;
    void on_input(net::Connection& conn) override;
    void on_drained(net::Connection& conn) override;
    void on_closed(net::Connection& conn) override;
    void on_shutdown(net::Connection& conn) override;
    // Reply timeouts are the client's own timers; the idle timer stays off.
    void on_timeout(net::Connection&) override {}

private:
    // What the server offered in its last EHLO.
    struct Extensions {
        bool esmtp = false, pipelining = false, eight_bit_mime = false, smtputf8 = false;
        bool starttls = false, chunking = false, auth_plain = false;
        uint64_t size = 0;   // 0 = no limit announced
    };
    enum class Expect { greeting, ehlo, helo, starttls, auth, rset, mail, rcpt, data, dot, discard_dot, bdat, quit };
    enum class Phase { connecting, greeting, handshake, ready, transaction, sending_data, idle, quitting, closed };
    enum class RcptState { pending, accepted, decided };

    struct Command {
        std::string line;              // without CRLF; "" for data already written
        Expect expect;
        std::chrono::milliseconds timeout;
        size_t index = 0;              // the recipient, for RCPT
    };
    struct Transaction {
        OutboundMessage message;
        Done done;
        std::vector<RecipientResult> results;
        std::vector<RcptState> states;
        size_t accepted = 0;
        std::optional<Reply> mail_refusal;
        size_t chunk_offset = 0;
        bool last_chunk_sent = false;
        std::unique_ptr<DataEncoder> encoder;
    };

    explicit SmtpClient(SmtpClientOptions options);
    void send(OutboundMessage message, Done done);
    void quit();
    bool reusable() const;

    // client.cpp: the session
    void handle_reply(Reply reply);
    void handle_greeting(const Reply& reply);
    void handle_ehlo(const Reply& reply);
    void handle_helo(const Reply& reply);
    void handle_starttls(const Reply& reply);
    void after_tls(bool ok);
    void handle_auth(const Reply& reply);
    void session_established();
    void send_ehlo();
    void parse_extensions(const Reply& reply);
    void queue_command(std::string line, Expect expect, std::chrono::milliseconds timeout, size_t index = 0);
    void flush_commands();
    void arm_timer(std::chrono::milliseconds timeout, std::string what);
    void on_timer();
    void fail_session(const std::string& reason);
    void close_connection(bool abort);
    net::Connection* live();
    std::string expect_name(Expect expect) const;

    // client_transaction.cpp: one message
    void begin_transaction();
    std::optional<std::string> precheck() const;
    void send_envelope();
    std::string mail_command() const;
    void handle_mail(const Reply& reply);
    void handle_rcpt(const Reply& reply, size_t index);
    void after_recipients();
    void handle_data(const Reply& reply);
    void write_data_block();
    void write_next_chunk();
    void handle_bdat(const Reply& reply);
    void handle_final(const Reply& reply);
    void handle_early_reply(const Reply& reply);
    void decide(size_t index, Outcome outcome, std::string reply, bool remote);
    void decide_accepted(const Reply& reply);
    void decide_all(Outcome outcome, const std::string& reply, bool remote);
    void finish_transaction(bool reusable);
    // `done` hears that `message` was not sent, on the loop when there is one.
    static void report_later(net::EventLoop* loop, const std::string& relay, OutboundMessage message, Done done,
                             std::string error);

    SmtpClientOptions options_;
    std::weak_ptr<net::Connection> weak_conn_;
    net::Connection* conn_ = nullptr;     // valid between on_open and on_closed
    net::EventLoop* loop_ = nullptr;
    Phase phase_ = Phase::connecting;
    ReplyReader reader_;
    std::deque<Command> expected_;        // sent, waiting for their replies, in order
    std::deque<Command> outbox_;          // not sent yet (without PIPELINING: one at a time)
    std::unique_ptr<net::EventLoop::Timer> timer_;
    std::string timer_what_;
    Extensions ext_;
    bool tls_tried_ = false;
    bool tls_verified_ = false;
    std::string tls_;
    std::string relay_;
    std::string session_error_;
    std::optional<Transaction> tx_;
    util::Liveness liveness_;   // last: its watches end before the rest goes
};

}  // namespace pochta::outbound
