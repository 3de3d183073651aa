#include "smtp/session.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "common/auth/password.hpp"
#include "common/auth/sasl.hpp"
#include "common/util/log.hpp"
#include "common/util/strings.hpp"
#include "smtp/trace.hpp"

namespace pochta::smtp {
namespace {

constexpr size_t max_command_line = 512;     // RFC 5321 4.5.3.1.4, with CRLF
constexpr size_t max_auth_line = 12288;      // RFC 4954 section 4
constexpr unsigned max_errors = 20;          // then the session is dropped
constexpr unsigned max_received_fields = 50; // a mail loop beyond this
constexpr auto idle_timeout = std::chrono::minutes(5);  // RFC 5321 4.5.3.2.7

void add_unique(std::vector<std::string>& list, const std::string& item) {
    if (std::find(list.begin(), list.end(), item) == list.end()) list.push_back(item);
}

std::string join_recipients(const std::vector<std::string>& list) {
    std::string out;
    for (const auto& item : list) out += (out.empty() ? "<" : ",<") + item + ">";
    return out;
}

// "TO:<Postmaster>", spaces allowed around the colon.
bool is_bare_postmaster(std::string_view argument) {
    if (!istarts_with(argument, "TO")) return false;
    argument = trim(argument.substr(2));
    if (argument.empty() || argument.front() != ':') return false;
    return iequals(trim(argument.substr(1)), "<postmaster>");
}

// The reply that ends a failed AUTH exchange (RFC 4954 sections 4 and 6).
std::string sasl_refusal(auth::SaslFailure failure) {
    switch (failure) {
        case auth::SaslFailure::unknown_mechanism: return "504 5.5.4 Unrecognized authentication type";
        case auth::SaslFailure::cancelled: return "501 5.0.0 Authentication cancelled";
        case auth::SaslFailure::malformed_base64: return "501 5.5.2 Cannot decode response";
        case auth::SaslFailure::too_long: return "500 5.5.6 Authentication Exchange line is too long";
        case auth::SaslFailure::bad_plain: return "501 5.5.2 Cannot decode AUTH PLAIN response";
        case auth::SaslFailure::authzid_mismatch: return "535 5.7.8 Authentication credentials invalid";
        case auth::SaslFailure::out_of_turn: break;
    }
    return "503 5.5.1 Error: no authentication in progress";
}

}  // namespace

Session::Session(SessionContext& ctx, Listener listener) : ctx_(ctx), listener_(listener) {}

std::weak_ptr<net::Connection> Session::weak_conn() { return conn_->shared_from_this(); }

void Session::reply(const std::string& text) {
    // One write per reply: with TLS each write becomes a record of its own.
    conn_->write(text + "\r\n");
}

void Session::on_open(net::Connection& conn) {
    conn_ = &conn;
    conn.set_idle_timeout(idle_timeout);
    reply(fmt::format("220 {} ESMTP pochta", ctx_.config.hostname));
}

void Session::on_timeout(net::Connection& conn) {
    reply(fmt::format("421 4.4.2 {} Error: timeout exceeded", ctx_.config.hostname));
    conn.close();
}

void Session::on_shutdown(net::Connection& conn) {
    if (input_ == Input::waiting) {
        shutting_down_ = true;  // say goodbye once the delivery or login under way has its answer
        return;
    }
    reply(fmt::format("421 4.3.2 {} Service shutting down", ctx_.config.hostname));
    conn.close();
}

void Session::on_input(net::Connection&) { process_commands(); }

// Handles everything that is buffered, in order, as long as the session is
// not waiting for the store or a password check (PIPELINING).
void Session::process_commands() {
    while (!conn_->closing() && !conn_->input_paused()) {
        if (input_ == Input::waiting) return;
        if (input_ == Input::data) {
            read_data();
            if (input_ == Input::data) return;  // needs more bytes
            continue;
        }
        if (input_ == Input::bdat) {
            read_bdat();
            if (input_ == Input::bdat) return;
            continue;
        }
        std::string line;
        if (!read_command_line(line)) return;
        if (discarding_long_line_) {
            discarding_long_line_ = false;
            if (input_ != Input::command) {  // an AUTH response: the exchange is over (RFC 4954 section 6)
                on_sasl_step(auth::SaslFailure::too_long);
                continue;
            }
            reply("500 5.5.2 Error: line too long");
            count_error();
            continue;
        }
        if (input_ == Input::command) {
            dispatch(parse_command(line));
        } else {
            on_sasl_step(sasl_->step(line));
        }
    }
}

// Takes one line off the input, without its line ending. A line over the
// limit is consumed and reported through discarding_long_line_.
bool Session::read_command_line(std::string& line) {
    auto& in = conn_->input();
    size_t length = in.line_length();
    if (length == 0) {
        if (in.size() > max_auth_line) {  // no end in sight: drop what we have, keep dropping to the LF
            in.clear();
            discarding_long_line_ = true;
            return false;
        }
        // A line already being dropped ends at the next LF.
        return false;
    }
    std::string_view raw = in.view().substr(0, length);
    bool auth_line = input_ != Input::command || istarts_with(raw, "AUTH ");
    if (length > (auth_line ? max_auth_line : max_command_line)) discarding_long_line_ = true;
    if (!discarding_long_line_) {
        raw.remove_suffix(1);
        if (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
        line.assign(raw);
    }
    in.consume(length);
    return true;
}

void Session::count_error() {
    if (++errors_ < max_errors) return;
    reply(fmt::format("421 4.7.0 {} Error: too many errors", ctx_.config.hostname));
    conn_->close();
}

void Session::dispatch(const Command& cmd) {
    bool takes_syntax_error_reply = cmd.verb != Verb::mail && cmd.verb != Verb::rcpt && cmd.verb != Verb::unknown;
    if (takes_syntax_error_reply && !cmd.syntax_error.empty()) {
        reply("501 5.5.4 Syntax error: " + cmd.syntax_error);
        count_error();
        return;
    }
    switch (cmd.verb) {
        case Verb::helo: return handle_helo(cmd, false);
        case Verb::ehlo: return handle_helo(cmd, true);
        case Verb::mail: return handle_mail(cmd);
        case Verb::rcpt: return handle_rcpt(cmd);
        case Verb::data: return handle_data();
        case Verb::bdat: return handle_bdat(cmd);
        case Verb::starttls: return handle_starttls(cmd);
        case Verb::auth: return handle_auth(cmd);
        case Verb::rset:
            reset_transaction();
            return reply("250 2.0.0 OK");
        case Verb::noop: return reply("250 2.0.0 OK");
        case Verb::quit:
            reply(fmt::format("221 2.0.0 {} closing connection", ctx_.config.hostname));
            return conn_->close();
        case Verb::vrfy: return reply("252 2.5.0 Cannot VRFY user, but will accept message and attempt delivery");
        case Verb::expn: return reply("502 5.5.1 EXPN not available");
        case Verb::help: return reply("214 2.0.0 pochta: see RFC 5321");
        case Verb::unknown: break;
    }
    reply("500 5.5.2 Error: command not recognized");
    count_error();
}

void Session::handle_helo(const Command& cmd, bool extended) {
    reset_transaction();
    helo_ = cmd.argument;
    esmtp_ = extended;
    if (!extended) return reply(fmt::format("250 {}", ctx_.config.hostname));
    std::vector<std::string> lines = {
        fmt::format("{} Hello {} [{}]", ctx_.config.hostname, helo_, conn_->peer_ip()),
        "PIPELINING",
        fmt::format("SIZE {}", ctx_.config.limits.max_message_size),
        "8BITMIME",
        "ENHANCEDSTATUSCODES",
    };
    if (!conn_->tls_active() && ctx_.tls) lines.push_back("STARTTLS");
    if (submission() && conn_->tls_active() && user_.empty()) lines.push_back("AUTH PLAIN LOGIN");
    lines.push_back("SMTPUTF8");
    lines.push_back("CHUNKING");
    std::string out;
    for (size_t i = 0; i < lines.size(); i++)
        out += fmt::format("250{}{}\r\n", i + 1 == lines.size() ? ' ' : '-', lines[i]);
    conn_->write(out);
}

void Session::reset_transaction() {
    tx_.reset();
    data_.reset();
}

void Session::handle_mail(const Command& cmd) {
    if (helo_.empty()) return reply("503 5.5.1 Error: send HELO/EHLO first");
    if (submission() && !conn_->tls_active()) return reply("530 5.7.0 Must issue a STARTTLS command first");
    if (submission() && user_.empty()) return reply("530 5.7.0 Authentication required");
    if (tx_) return reply("503 5.5.1 Error: nested MAIL command");
    if (cmd.unknown_parameter) return reply("555 5.5.4 Unsupported MAIL parameter");
    if (!cmd.syntax_error.empty()) {
        reply("501 5.5.4 Syntax error: " + cmd.syntax_error);
        return count_error();
    }
    const PathResult& path = cmd.path;
    if (path.error == PathError::too_long) return reply("501 5.1.7 Sender address too long");
    if (path.error != PathError::none) return reply("501 5.1.7 Bad sender address syntax");
    if (!path.null_path && path.address.utf8 && !cmd.mail.smtputf8)
        return reply("553 5.6.7 Non-ASCII sender address needs SMTPUTF8");
    if (cmd.mail.size && *cmd.mail.size > ctx_.config.limits.max_message_size)
        return reply("552 5.3.4 Message size exceeds fixed maximum message size");
    if (cmd.mail.body == Body::binary_mime) return reply("555 5.5.4 BODY=BINARYMIME is not supported");
    if (submission() && (path.null_path || !check_sender_allowed(path.address)))
        return reply(fmt::format("553 5.7.1 Sender address rejected: not owned by user {}", user_));
    Transaction tx;
    tx.null_sender = path.null_path;
    tx.from = path.null_path ? std::string() : path.address.str();
    tx.smtputf8 = cmd.mail.smtputf8;
    tx.body = cmd.mail.body;
    tx_ = std::move(tx);
    reply("250 2.1.0 Sender OK");
}

bool Session::check_sender_allowed(const Address& from) {
    return ctx_.directory.current()->may_send_as(user_, from.canonical());
}

void Session::handle_rcpt(const Command& cmd) {
    if (!tx_) return reply("503 5.5.1 Error: need MAIL command");
    if (cmd.unknown_parameter) return reply("555 5.5.4 Unsupported RCPT parameter");
    if (!cmd.syntax_error.empty()) {
        reply("501 5.5.4 Syntax error: " + cmd.syntax_error);
        return count_error();
    }
    PathResult path = cmd.path;
    if (is_bare_postmaster(cmd.argument)) {
        // RFC 5321 4.5.1: "Postmaster" without a domain must be accepted.
        path = PathResult{};
        path.address.local = "postmaster";
        path.address.domain = ctx_.config.domains.front();
    }
    if (path.error == PathError::too_long) return reply("501 5.1.3 Recipient address too long");
    if (path.error != PathError::none || path.null_path) return reply("501 5.1.3 Bad recipient address syntax");
    if (path.address.utf8 && !tx_->smtputf8) return reply("553 5.6.7 Non-ASCII recipient address needs SMTPUTF8");
    if (tx_->recipients.size() >= ctx_.config.limits.max_recipients) return reply("452 4.5.3 Too many recipients");
    auth::Resolution resolution;
    if (auto refusal = check_recipient(path.address, resolution)) {
        log::info("smtp client={} from=<{}> to=<{}> refused: {}", conn_->peer_ip(), tx_->from, path.address.str(),
                  *refusal);
        return reply(*refusal);
    }
    tx_->recipients.push_back(Recipient{path.address.str(), std::move(resolution)});
    reply("250 2.1.5 Recipient OK");
}

// nullopt when the recipient is accepted (and `out` says where it goes),
// else the reply that refuses it.
std::optional<std::string> Session::check_recipient(const Address& rcpt, auth::Resolution& out) {
    bool local = !rcpt.domain_literal && ctx_.config.is_local_domain(rcpt.domain);
    if (!local) {
        if (listener_ == Listener::mx) return fmt::format("554 5.7.1 <{}>: Relay access denied", rcpt.str());
        out.found = true;
        out.remote.push_back(rcpt.str());
        return std::nullopt;
    }
    // "user%elsewhere@local", "elsewhere!user@local", "\"user@elsewhere\"@local":
    // old routing tricks an open relay would follow.
    if (!is_plain_local_part(rcpt)) return fmt::format("550 5.7.1 <{}>: Relay access denied", rcpt.str());
    out = ctx_.directory.current()->resolve(rcpt.canonical());
    if (!out.found) return fmt::format("550 5.1.1 <{}>: Recipient address rejected: User unknown", rcpt.str());
    return std::nullopt;
}

void Session::handle_data() {
    if (!tx_) return reply("503 5.5.1 Error: need MAIL command");
    if (tx_->chunking_used) return reply("503 5.5.1 Error: DATA cannot follow BDAT");
    if (tx_->recipients.empty()) return reply("503 5.5.1 Error: need RCPT command");
    reply("354 End data with <CR><LF>.<CR><LF>");
    data_.emplace(ctx_.config.limits.max_message_size);
    input_ = Input::data;
}

void Session::read_data() {
    auto& in = conn_->input();
    in.consume(data_->feed(in.view()));
    if (!data_->done()) return;
    input_ = Input::command;
    if (data_->overflowed()) {
        reset_transaction();
        return reply("552 5.3.4 Message size exceeds fixed maximum message size");
    }
    std::string body = std::move(data_->message());
    data_.reset();
    finish_message(std::move(body));
}

void Session::handle_bdat(const Command& cmd) {
    // The chunk follows the command whatever we think of it, so it is read
    // (and dropped if refused) before the reply (RFC 3030 section 2).
    std::string refusal;
    if (!tx_) refusal = "503 5.5.1 Error: need MAIL command";
    else if (tx_->recipients.empty()) refusal = "503 5.5.1 Error: need RCPT command";
    if (tx_ && refusal.empty()) tx_->chunking_used = true;
    bdat_remaining_ = cmd.chunk_size;
    bdat_last_ = cmd.last_chunk;
    bdat_refusal_ = std::move(refusal);
    input_ = Input::bdat;
}

void Session::read_bdat() {
    auto& in = conn_->input();
    size_t take = static_cast<size_t>(std::min<uint64_t>(bdat_remaining_, in.size()));
    if (bdat_refusal_.empty() && tx_) {
        if (tx_->bdat_message.size() + take > ctx_.config.limits.max_message_size) {
            bdat_refusal_ = "552 5.3.4 Message size exceeds fixed maximum message size";
            reset_transaction();
        } else {
            tx_->bdat_message.append(in.view().substr(0, take));
        }
    }
    in.consume(take);
    bdat_remaining_ -= take;
    if (bdat_remaining_ > 0) return;
    input_ = Input::command;
    if (!bdat_refusal_.empty()) return reply(std::exchange(bdat_refusal_, {}));
    if (!bdat_last_) return reply(fmt::format("250 2.0.0 {} octets received", tx_->bdat_message.size()));
    finish_message(std::move(tx_->bdat_message));
}

void Session::finish_message(std::string body) {
    if (count_received(body) > max_received_fields) {
        log::info("smtp client={} from=<{}> refused: mail loop (over {} Received fields)", conn_->peer_ip(), tx_->from,
                  max_received_fields);
        reset_transaction();
        return reply("554 5.4.6 Too many hops: mail loop detected");
    }
    deliver(std::move(body));
}

void Session::deliver(std::string body) {
    store::Delivery delivery;
    delivery.queue_id = random_hex(8);
    delivery.envelope_from = tx_->from;
    std::vector<std::string> recipients;
    for (const auto& rcpt : tx_->recipients) {
        add_unique(recipients, rcpt.address);
        for (const auto& user : rcpt.resolution.local_users) add_unique(delivery.local_users, user);
        for (const auto& remote : rcpt.resolution.remote) add_unique(delivery.remote_rcpts, remote);
    }
    ReceivedInfo trace;
    trace.helo = helo_;
    trace.client_ip = conn_->peer_ip();
    trace.hostname = ctx_.config.hostname;
    trace.esmtp = esmtp_;
    trace.tls = conn_->tls_description();
    trace.authenticated = !user_.empty();
    trace.smtputf8 = tx_->smtputf8;
    trace.queue_id = delivery.queue_id;
    if (recipients.size() == 1) trace.single_recipient = recipients.front();
    trace.date = rfc5322_date_now();
    std::string return_path = return_path_header(tx_->from);
    delivery.relay_skip = return_path.size();
    delivery.data.reserve(return_path.size() + 512 + body.size());
    delivery.data = return_path + received_header(trace) + body;

    std::string log_line = fmt::format("smtp queue_id={} client={} user={} from=<{}> to={} size={}", delivery.queue_id,
                                       conn_->peer_ip(), user_.empty() ? "-" : user_, tx_->from,
                                       join_recipients(recipients), body.size());
    std::string queue_id = delivery.queue_id;
    reset_transaction();
    input_ = Input::waiting;
    conn_->pause_input();
    ctx_.store.deliver(std::move(delivery), [weak = weak_conn(), log_line, queue_id](std::string error) {
        if (!error.empty()) log::error("{} result=failed: {}", log_line, error);
        auto conn = weak.lock();
        if (!conn || conn->closing()) {
            if (error.empty()) log::info("{} result=stored, client gone before the reply", log_line);
            return;
        }
        if (error.empty()) log::info("{} result=accepted", log_line);
        auto* self = static_cast<Session*>(conn->handler());
        self->reply(error.empty() ? fmt::format("250 2.0.0 Ok: queued as {}", queue_id)
                                  : std::string("451 4.3.0 Error: local storage failure, try again later"));
        self->resume_after_async();
    });
}

void Session::resume_after_async() {
    input_ = Input::command;
    if (shutting_down_) {
        reply(fmt::format("421 4.3.2 {} Service shutting down", ctx_.config.hostname));
        return conn_->close();
    }
    conn_->resume_input();
}

void Session::handle_starttls(const Command&) {
    if (!ctx_.tls) return reply("502 5.5.1 STARTTLS not available");
    if (conn_->tls_active()) return reply("503 5.5.1 Error: TLS already active");
    reply("220 2.0.0 Ready to start TLS");
    input_ = Input::waiting;
    conn_->start_tls_server(ctx_.tls, [weak = weak_conn()](bool ok) {
        auto conn = weak.lock();
        if (!ok || !conn || conn->closing()) return;
        auto* self = static_cast<Session*>(conn->handler());
        // RFC 3207 section 4.2: forget everything learnt before TLS.
        self->helo_.clear();
        self->esmtp_ = false;
        self->user_.clear();
        self->reset_transaction();
        self->resume_after_async();
    });
}

void Session::handle_auth(const Command& cmd) {
    if (!submission()) return reply("503 5.5.1 Error: authentication not enabled");
    if (!conn_->tls_active()) return reply("530 5.7.0 Must issue a STARTTLS command first");
    if (helo_.empty()) return reply("503 5.5.1 Error: send EHLO first");
    if (!user_.empty()) return reply("503 5.5.1 Error: already authenticated");
    if (tx_) return reply("503 5.5.1 Error: MAIL transaction in progress");
    on_sasl_step(sasl_.emplace(cmd.mechanism).start(cmd.initial_response));
}

void Session::on_sasl_step(auth::SaslStep step) {
    if (auto* challenge = std::get_if<auth::SaslChallenge>(&step)) {
        input_ = Input::auth_response;
        return reply("334 " + challenge->base64);
    }
    input_ = Input::command;
    sasl_.reset();
    if (auto* failure = std::get_if<auth::SaslFailure>(&step)) return reply(sasl_refusal(*failure));
    auto& credentials = std::get<auth::Credentials>(step);
    verify_credentials(std::move(credentials.username), std::move(credentials.password));
}

// The hash check is slow on purpose, so it runs off the loop; a failure is
// answered late, the later the more often this IP failed.
void Session::verify_credentials(std::string username, std::string password) {
    input_ = Input::waiting;
    conn_->pause_input();
    struct Check {
        std::string username, password, user;
    };
    auto check = std::make_shared<Check>(Check{std::move(username), std::move(password), {}});
    conn_->loop().offload(
        [check, verify = auth::directory_password_check(ctx_.directory)] {
            check->user = verify(check->username, check->password);
        },
        [check, weak = weak_conn()] {
            auto conn = weak.lock();
            if (!conn || conn->closing()) return;
            auto* self = static_cast<Session*>(conn->handler());
            self->on_credentials_checked(check->username, check->user);
        });
}

void Session::on_credentials_checked(const std::string& username, const std::string& user) {
    if (!user.empty()) {
        ctx_.throttle.record_success(conn_->peer_ip());
        if (!conn_->mark_authenticated(user)) {  // README "[limits] max_connections_per_user_ip"
            reply("454 4.7.0 Too many connections for this user from this address");
            return resume_after_async();
        }
        user_ = user;
        log::info("smtp client={} user={} authenticated", conn_->peer_ip(), user_);
        reply("235 2.7.0 Authentication successful");
        return resume_after_async();
    }
    log::info("smtp client={} user={} authentication failed", conn_->peer_ip(), username);
    auto delay = ctx_.throttle.record_failure(conn_->peer_ip());
    auth_delay_ = conn_->loop().start_timer(delay, [weak = weak_conn()] {
        auto conn = weak.lock();
        if (!conn || conn->closing()) return;
        auto* self = static_cast<Session*>(conn->handler());
        self->reply("535 5.7.8 Authentication credentials invalid");
        self->count_error();
        if (!conn->closing()) self->resume_after_async();
    });
}

}  // namespace pochta::smtp
