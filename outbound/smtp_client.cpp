#include "outbound/smtp_client.hpp"

#include <fmt/format.h>

#include "common/util/log.hpp"
#include "common/util/strings.hpp"

namespace pochta::outbound {

std::string_view outcome_name(Outcome outcome) {
    switch (outcome) {
        case Outcome::delivered: return "sent";
        case Outcome::temporary: return "deferred";
        case Outcome::permanent: return "bounced";
    }
    return "unknown";
}

namespace {

// Addresses and replies end up in the log line: no control characters, so
// nothing can forge a second line.
std::string loggable(std::string_view text) {
    std::string out(text.substr(0, 1000));
    for (auto& c : out) {
        auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7f || c == '"') c = u == '"' ? '\'' : '?';
    }
    return out;
}

}  // namespace

void log_delivery_attempt(const std::string& queue_id, const RecipientResult& result, const std::string& relay,
                          const std::string& tls, std::chrono::system_clock::time_point arrival) {
    double delay = 0;
    if (arrival.time_since_epoch().count() != 0)
        delay = std::chrono::duration<double>(std::chrono::system_clock::now() - arrival).count();
    log::info("smtp-out queue_id={} to=<{}> relay={} tls={} delay={:.1f}s status={} reply=\"{}\"", queue_id,
              loggable(result.recipient), relay.empty() ? "none" : relay, tls.empty() ? "none" : "\"" + tls + "\"",
              delay, outcome_name(result.outcome), loggable(result.reply));
}

SmtpClient::Ref SmtpClient::start(const std::shared_ptr<net::Connection>& conn, SmtpClientOptions options,
                                  OutboundMessage message, Done done) {
    std::unique_ptr<SmtpClient> client(new SmtpClient(std::move(options)));
    client->loop_ = &conn->loop();
    client->weak_conn_ = conn;
    client->tx_.emplace();
    client->tx_->message = std::move(message);
    client->tx_->done = std::move(done);
    Ref ref(*client, client->liveness_.watch(), conn->loop());
    conn->set_handler(std::move(client));
    conn->start();
    return ref;
}

SmtpClient::SmtpClient(SmtpClientOptions options) : options_(std::move(options)) {}

SmtpClient::~SmtpClient() = default;

void SmtpClient::Ref::quit() {
    if (SmtpClient* c = client()) c->quit();
}

bool SmtpClient::Ref::reusable() const {
    const SmtpClient* c = client();
    return c && c->reusable();
}

bool SmtpClient::reusable() const { return phase_ == Phase::idle && conn_ && !conn_->closing(); }

net::Connection* SmtpClient::live() {
    auto conn = weak_conn_.lock();
    if (!conn || conn->closing() || conn.get() != conn_) return nullptr;
    return conn_;
}

void SmtpClient::on_open(net::Connection& conn) {
    conn_ = &conn;
    conn.set_idle_timeout(std::chrono::milliseconds(0));
    std::string host = options_.remote_host.empty() ? conn.peer_ip() : options_.remote_host;
    relay_ = fmt::format("{}[{}]:{}", host, conn.peer_ip(), conn.peer_port());
    phase_ = Phase::greeting;
    expected_.push_back(Command{"", Expect::greeting, options_.timeouts.greeting});
    arm_timer(options_.timeouts.greeting, "the greeting");
}

// Replies are read strictly in order; each answers the oldest command sent.
void SmtpClient::on_input(net::Connection& conn) {
    while (live() && !conn.input().empty()) {
        size_t consumed = 0;
        auto result = reader_.read(conn.input().view(), consumed);
        conn.input().consume(consumed);
        if (result == ReplyReader::Result::incomplete) return;
        if (result == ReplyReader::Result::error) return fail_session("protocol error: " + reader_.error());
        handle_reply(reader_.take());
    }
}

void SmtpClient::on_drained(net::Connection&) {
    if (phase_ == Phase::sending_data) write_data_block();
}

void SmtpClient::on_closed(net::Connection&) {
    bool expected_close = phase_ == Phase::quitting || phase_ == Phase::closed;
    if (phase_ == Phase::handshake) fail_session("TLS handshake failed");
    else if (!expected_close) fail_session("connection closed by the server");
    phase_ = Phase::closed;
    timer_.reset();
    conn_ = nullptr;
}

void SmtpClient::on_shutdown(net::Connection&) {
    if (tx_) fail_session("mail system shutting down");
    quit();
}

void SmtpClient::handle_reply(Reply reply) {
    if (phase_ == Phase::sending_data) return handle_early_reply(reply);
    if (expected_.empty()) {
        if (reply.code == 421) return fail_session("server closed the session: " + reply.text());
        return fail_session("unexpected reply: " + reply.text());
    }
    Command cmd = std::move(expected_.front());
    expected_.pop_front();
    timer_.reset();
    if (!expected_.empty()) arm_timer(expected_.front().timeout, expect_name(expected_.front().expect));
    switch (cmd.expect) {
        case Expect::greeting: handle_greeting(reply); break;
        case Expect::ehlo: handle_ehlo(reply); break;
        case Expect::helo: handle_helo(reply); break;
        case Expect::starttls: handle_starttls(reply); break;
        case Expect::auth: handle_auth(reply); break;
        case Expect::rset:
            if (reply.kind() != 2) return fail_session("RSET refused: " + reply.text());
            begin_transaction();
            break;
        case Expect::mail: handle_mail(reply); break;
        case Expect::rcpt: handle_rcpt(reply, cmd.index); break;
        case Expect::data: handle_data(reply); break;
        case Expect::dot: handle_final(reply); break;
        case Expect::discard_dot:
            if (reply.code == 421) return fail_session("end of data: " + reply.text());
            finish_transaction(true);
            break;
        case Expect::bdat: handle_bdat(reply); break;
        case Expect::quit: close_connection(false); return;
    }
    if (live()) flush_commands();
}

void SmtpClient::handle_greeting(const Reply& reply) {
    // RFC 5321 3.1: anything but 220 (a 554 in particular) means no service here.
    if (reply.code != 220) return fail_session("refused at the greeting: " + reply.text());
    send_ehlo();
}

void SmtpClient::send_ehlo() {
    queue_command("EHLO " + options_.helo_name, Expect::ehlo, options_.timeouts.command);
}

void SmtpClient::handle_ehlo(const Reply& reply) {
    if (reply.kind() == 2) {
        parse_extensions(reply);
        return session_established();
    }
    // A server without ESMTP says 5xx to EHLO (RFC 5321 3.2); a 4xx is a
    // temporary "go away", not a reason to try HELO.
    if (reply.kind() == 5 && reply.code != 554) {
        queue_command("HELO " + options_.helo_name, Expect::helo, options_.timeouts.command);
        return;
    }
    fail_session("EHLO refused: " + reply.text());
}

void SmtpClient::handle_helo(const Reply& reply) {
    if (reply.kind() != 2) return fail_session("HELO refused: " + reply.text());
    ext_ = Extensions{};
    session_established();
}

void SmtpClient::parse_extensions(const Reply& reply) {
    ext_ = Extensions{};
    ext_.esmtp = true;
    for (size_t i = 1; i < reply.lines.size(); i++) {
        auto words = split(trim(reply.lines[i]), ' ');
        if (words.empty()) continue;
        std::string keyword = to_lower(words[0]);
        if (keyword == "pipelining") ext_.pipelining = true;
        else if (keyword == "8bitmime") ext_.eight_bit_mime = true;
        else if (keyword == "smtputf8") ext_.smtputf8 = true;
        else if (keyword == "starttls") ext_.starttls = true;
        else if (keyword == "chunking") ext_.chunking = true;
        else if (keyword == "size" && words.size() > 1) ext_.size = parse_uint(words[1]).value_or(0);
        else if (keyword == "auth") {
            for (size_t w = 1; w < words.size(); w++) ext_.auth_plain |= iequals(words[w], "PLAIN");
        }
    }
}

// After each EHLO/HELO: upgrade to TLS if we can, authenticate if we must,
// then the session is ready for mail.
void SmtpClient::session_established() {
    if (!tls_tried_ && ext_.starttls && options_.tls && !conn_->tls_active()) {
        tls_tried_ = true;
        queue_command("STARTTLS", Expect::starttls, options_.timeouts.command);
        return;
    }
    if (options_.auth) {
        if (!conn_->tls_active())
            return fail_session("relay offers no STARTTLS: refusing to send the AUTH password in the clear");
        if (!ext_.auth_plain) return fail_session("relay does not offer AUTH PLAIN");
        std::string response = std::string(1, '\0') + options_.auth->user + '\0' + options_.auth->password;
        queue_command("AUTH PLAIN " + base64_encode(response), Expect::auth, options_.timeouts.command);
        return;
    }
    begin_transaction();
}

void SmtpClient::handle_starttls(const Reply& reply) {
    if (reply.code == 421) return fail_session("STARTTLS: " + reply.text());
    if (reply.code != 220) {
        // Opportunistic TLS: a server that cannot do it still gets the mail.
        log::info("smtp-out relay={} STARTTLS refused ({}), continuing without TLS", relay_, reply.text());
        return session_established();
    }
    phase_ = Phase::handshake;
    std::string sni = options_.remote_host.empty() ? conn_->peer_ip() : options_.remote_host;
    conn_->start_tls_client(options_.tls, sni, [this, alive = liveness_.watch()](bool ok) {
        if (alive) after_tls(ok);
    });
}

void SmtpClient::after_tls(bool ok) {
    if (!ok || !live()) return fail_session("TLS handshake failed");
    phase_ = Phase::ready;
    tls_ = conn_->tls_description();
    tls_verified_ = conn_->tls_peer_verified();
    log::info("smtp-out relay={} TLS established: {} certificate {}", relay_, tls_,
              tls_verified_ ? "verified" : "not verified");
    // RFC 3207 4.2: everything learnt before TLS is forgotten.
    ext_ = Extensions{};
    send_ehlo();
    flush_commands();
}

void SmtpClient::handle_auth(const Reply& reply) {
    if (reply.code != 235) return fail_session("authentication failed: " + reply.text());
    begin_transaction();
}

void SmtpClient::queue_command(std::string line, Expect expect, std::chrono::milliseconds timeout, size_t index) {
    outbox_.push_back(Command{std::move(line), expect, timeout, index});
}

// Writes what may be written now: everything with PIPELINING (RFC 2920),
// else the next command once the previous one has its answer. Session
// commands (EHLO, STARTTLS, AUTH, RSET) always wait for their reply.
void SmtpClient::flush_commands() {
    if (!live()) return;
    std::string batch;
    while (!outbox_.empty()) {
        bool may_pipeline = ext_.pipelining && phase_ == Phase::transaction;
        if (!expected_.empty() && !may_pipeline) break;
        Command cmd = std::move(outbox_.front());
        outbox_.pop_front();
        if (!cmd.line.empty()) batch += cmd.line + "\r\n";
        if (expected_.empty()) arm_timer(cmd.timeout, expect_name(cmd.expect));
        expected_.push_back(std::move(cmd));
    }
    if (!batch.empty()) conn_->write(batch);
}

void SmtpClient::arm_timer(std::chrono::milliseconds timeout, std::string what) {
    if (!loop_) return;
    timer_what_ = std::move(what);
    timer_ = loop_->start_timer(timeout, [this, alive = liveness_.watch()] {
        if (alive) on_timer();
    });
}

void SmtpClient::on_timer() {
    if (!live()) return;
    fail_session("timeout waiting for " + timer_what_);
}

std::string SmtpClient::expect_name(Expect expect) const {
    switch (expect) {
        case Expect::greeting: return "the greeting";
        case Expect::ehlo: return "the reply to EHLO";
        case Expect::helo: return "the reply to HELO";
        case Expect::starttls: return "the reply to STARTTLS";
        case Expect::auth: return "the reply to AUTH";
        case Expect::rset: return "the reply to RSET";
        case Expect::mail: return "the reply to MAIL FROM";
        case Expect::rcpt: return "the reply to RCPT TO";
        case Expect::data: return "the reply to DATA";
        case Expect::dot:
        case Expect::discard_dot: return "the reply to the end of data";
        case Expect::bdat: return "the reply to BDAT";
        case Expect::quit: return "the reply to QUIT";
    }
    return "a reply";
}

// The session is over: a message under way gets its answer (the recipients
// not yet decided fail temporarily with `reason`), and the connection goes.
void SmtpClient::fail_session(const std::string& reason) {
    if (phase_ == Phase::closed) return;
    if (phase_ != Phase::quitting) log::info("smtp-out relay={} session failed: {}", relay_, reason);
    phase_ = Phase::closed;
    session_error_ = reason;
    timer_.reset();
    expected_.clear();
    outbox_.clear();
    if (tx_) {
        decide_all(Outcome::temporary, reason, false);
        finish_transaction(false);
    }
    close_connection(true);
}

void SmtpClient::close_connection(bool abort) {
    timer_.reset();
    if (phase_ != Phase::quitting) phase_ = Phase::closed;
    auto* conn = live();
    if (!conn) return;
    abort ? conn->abort() : conn->close();
}

void SmtpClient::quit() {
    if (tx_) fail_session("session ended before the message was sent");
    if (!live() || phase_ == Phase::quitting || phase_ == Phase::closed) return;
    phase_ = Phase::quitting;
    outbox_.clear();
    expected_.clear();
    conn_->write("QUIT\r\n");
    expected_.push_back(Command{"QUIT", Expect::quit, options_.timeouts.command});
    arm_timer(options_.timeouts.command, "the reply to QUIT");
}

}  // namespace pochta::outbound
