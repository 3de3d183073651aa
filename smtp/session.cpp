#include "smtp/session.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "common/auth/password.hpp"
#include "common/auth/sasl.hpp"
#include "common/metrics/pochta_metrics.hpp"
#include "common/util/log.hpp"
#include "common/util/strings.hpp"
#include "smtp/quota_checks.hpp"
#include "smtp/submission_hygiene.hpp"
#include "smtp/trace.hpp"

namespace pochta::smtp {
namespace {

// README.md, "Autoconfig, MTA-STS and metrics": messages accepted, per listener.
metrics::Counter& received_counter(Listener listener) {
    static constexpr const char* names[] = {"smtp", "submission", "submissions"};
    return metrics::messages_received(names[static_cast<int>(listener)]);
}

constexpr size_t max_command_line = 512;     // RFC 5321 4.5.3.1.4, with CRLF
constexpr size_t max_auth_line = 12288;      // RFC 4954 section 4
constexpr unsigned max_errors = 20;          // then the session is dropped
constexpr unsigned max_received_fields = 50; // a mail loop beyond this
constexpr auto idle_timeout = std::chrono::minutes(5);  // RFC 5321 4.5.3.2.7
// Refused recipients answered at once; each one after waits a second more.
constexpr unsigned free_refusals = 2;
constexpr auto max_refusal_delay = std::chrono::seconds(5);

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

// RFC 3463 4.3.1 (mail system full) when the disk is full; any other
// storage failure is 4.3.0. Both are temporary: the client tries again.
std::string storage_failure_reply(const store::Error& error) {
    if (error.kind == store::ErrorKind::disk_full) return "452 4.3.1 Insufficient system storage";
    return "451 4.3.0 Error: local storage failure, try again later";
}

Session::Session(SessionContext& ctx, Listener listener) : ctx_(ctx), listener_(listener) {}

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
    // A login's or a refusal's answer is worth nothing now: the check is
    // dropped, not waited for (README.md: the server stops within 10 s).
    bool only_delayed = login_.pending() || (refusal_delay_ && refusal_delay_->active());
    login_.cancel();
    refusal_delay_.reset();
    if (input_ == Input::waiting && !only_delayed) {
        shutting_down_ = true;  // say goodbye once the delivery or handshake under way is done
        return;
    }
    reply(fmt::format("421 4.3.2 {} Service shutting down", ctx_.config.hostname));
    conn.close();
}

void Session::on_input(net::Connection&) { process_commands(); }

void Session::on_closed(net::Connection&) {
    login_.cancel();
    refusal_delay_.reset();
}

// Handles everything that is buffered, in order, as long as the session is
// not waiting for the store or a password check (PIPELINING).
void Session::process_commands() {
    auto& in = conn_->input();
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
        if (!lines_.skip_rest(in)) return;  // first, so line_limit() sees the next line
        session::Line line = lines_.next(in, line_limit());
        if (line.kind == session::Line::Kind::none) return;
        if (line.kind == session::Line::Kind::too_long) {
            on_long_line();
            continue;
        }
        if (input_ == Input::command) {
            dispatch(parse_command(line.text));
        } else {
            on_sasl_step(sasl_->step(line.text));
        }
    }
}

size_t Session::line_limit() const {
    bool auth_line = input_ != Input::command || istarts_with(conn_->input().view(), "AUTH ");
    return auth_line ? max_auth_line : max_command_line;
}

void Session::on_long_line() {
    if (input_ != Input::command) {  // an AUTH response: the exchange is over (RFC 4954 section 6)
        on_sasl_step(auth::SaslFailure::too_long);
        return;
    }
    reply("500 5.5.2 Error: line too long");
    count_error();
}

void Session::count_error() {
    if (++errors_ < max_errors) return;
    reply(fmt::format("421 4.7.0 {} Error: too many errors", ctx_.config.hostname));
    conn_->close();
}

void Session::dispatch(const Command& cmd) {
    // An AUTH whose mechanism parsed has only its initial response to
    // blame: the SASL exchange answers that (501 5.5.2, RFC 4954 section 4).
    bool auth_response_error = cmd.verb == Verb::auth && !cmd.mechanism.empty();
    bool takes_syntax_error_reply =
        cmd.verb != Verb::mail && cmd.verb != Verb::rcpt && cmd.verb != Verb::unknown && !auth_response_error;
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
    start_checks();
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
        if (may_be_list(path.address, resolution)) return find_list_recipient(path.address, std::move(*refusal));
        log::info("smtp client={} from={} to={} refused={}", conn_->peer_ip(), log::quoted(tx_->from),
                  log::quoted(path.address.str()), log::quoted(*refusal));
        return refuse_recipient(std::move(*refusal));
    }
    accept_recipient_within_quota(Recipient{path.address.str(), std::move(resolution)});
}

void Session::accept_recipient(Recipient recipient) {
    tx_->recipients.push_back(std::move(recipient));
    reply("250 2.1.5 Recipient OK");
}

void Session::refuse_recipient(std::string text) {
    unsigned refused = ++refused_recipients_;
    if (refused <= free_refusals) {
        reply(text);
        return count_error();
    }
    auto delay = std::min<std::chrono::milliseconds>(std::chrono::seconds(refused - free_refusals), max_refusal_delay);
    input_ = Input::waiting;
    conn_->pause_input();
    refusal_delay_ = conn_->loop().start_timer(delay, ref().bind([text = std::move(text)](Session& self) {
        self.reply(text);
        self.count_error();
        if (!self.conn_->closing()) self.resume_after_async();
    }));
}

// nullopt when the recipient is accepted (and `out` says where it goes),
// else the reply that refuses it.
std::optional<std::string> Session::check_recipient(const Address& rcpt, auth::Resolution& out) {
    if (auto bounce = ctx_.forwarding ? ctx_.forwarding->bounce_recipient(rcpt) : std::nullopt) {
        if (!bounce->refusal.empty()) return bounce->refusal;
        out.found = true;
        out.remote.push_back(bounce->original);
        return std::nullopt;
    }
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
    start_body();
    input_ = Input::data;
}

void Session::start_body() {
    tx_->content = std::make_unique<MessageBody>(ctx_.store, [this]() -> std::string { return message_prefix(); });
}

void Session::read_data() {
    bool done = session::pour(conn_->input(), *data_);
    std::string decoded = data_->take();
    if (!data_->overflowed()) tx_->content->append(std::move(decoded));
    if (!done) return pause_while_spool_behind();
    input_ = Input::command;
    if (data_->overflowed()) {
        reset_transaction();
        return reply("552 5.3.4 Message size exceeds fixed maximum message size");
    }
    data_.reset();
    finish_message();
}

// The spool's writer is behind the client: reading stops until it caught
// up, so a fast client cannot queue the message in memory instead.
void Session::pause_while_spool_behind() {
    if (!tx_ || !tx_->content || !tx_->content->behind()) return;
    conn_->pause_input();
    tx_->content->stream()->when_caught_up(ref().bind([](Session& self) { self.conn_->resume_input(); }));
}

void Session::handle_bdat(const Command& cmd) {
    // The chunk follows the command whatever we think of it, so it is read
    // (and dropped if refused) before the reply (RFC 3030 section 2).
    std::string refusal;
    if (!tx_) refusal = "503 5.5.1 Error: need MAIL command";
    else if (tx_->recipients.empty()) refusal = "503 5.5.1 Error: need RCPT command";
    if (tx_ && refusal.empty()) {
        tx_->chunking_used = true;
        if (!tx_->content) start_body();
    }
    bdat_.emplace(cmd.chunk_size, [this](std::string_view piece) { take_chunk(piece); });
    bdat_last_ = cmd.last_chunk;
    bdat_refusal_ = std::move(refusal);
    input_ = Input::bdat;
}

// A piece of the BDAT chunk: kept, or dropped once the chunk is refused.
void Session::take_chunk(std::string_view piece) {
    if (!bdat_refusal_.empty() || !tx_) return;
    if (tx_->content->size() + piece.size() > ctx_.config.limits.max_message_size) {
        bdat_refusal_ = "552 5.3.4 Message size exceeds fixed maximum message size";
        reset_transaction();
        return;
    }
    tx_->content->append(std::string(piece));
}

void Session::read_bdat() {
    if (!session::pour(conn_->input(), *bdat_)) return pause_while_spool_behind();
    bdat_.reset();
    input_ = Input::command;
    if (!bdat_refusal_.empty()) return reply(std::exchange(bdat_refusal_, {}));
    if (!bdat_last_) return reply(fmt::format("250 2.0.0 {} octets received", tx_->content->size()));
    finish_message();
}

// A spooled body is made durable (fsync, off the loop) before the store
// takes it; a small one goes to the store as it is.
void Session::finish_message() {
    // The Received fields are at the top: counted in the head, which holds
    // the first 128 KiB of the body at least.
    if (count_received(tx_->content->head()) > max_received_fields) {
        log::info("smtp client={} from={} refused: mail loop (over {} Received fields)", conn_->peer_ip(),
                  log::quoted(tx_->from), max_received_fields);
        reset_transaction();
        return reply("554 5.4.6 Too many hops: mail loop detected");
    }
    if (!within_outbound_limits()) return;
    if (!tx_->content->spooled()) return check_arrival();
    input_ = Input::waiting;
    conn_->pause_input();
    tx_->content->stream()->finish(ref().bind([](Session& self, store::Error error) {
        if (!error) return self.check_arrival();
        log::error("smtp client={} from={} spooling failed: {}", self.conn_->peer_ip(), log::quoted(self.tx_->from),
                   error);
        self.reset_transaction();
        self.reply(storage_failure_reply(error));
        self.resume_after_async();
    }));
}

const std::string& Session::message_prefix() {
    if (!tx_->prefix.empty()) return tx_->prefix;
    tx_->queue_id = random_hex(8);
    std::vector<std::string> recipients;
    for (const auto& rcpt : tx_->recipients) add_unique(recipients, rcpt.address);
    ReceivedInfo trace;
    trace.helo = helo_;
    trace.client_ip = conn_->peer_ip();
    trace.hostname = ctx_.config.hostname;
    trace.esmtp = esmtp_;
    trace.tls = conn_->tls_description();
    trace.authenticated = !user_.empty();
    trace.smtputf8 = tx_->smtputf8;
    trace.queue_id = tx_->queue_id;
    if (recipients.size() == 1) trace.single_recipient = recipients.front();
    trace.date = rfc5322_date_now();
    std::string return_path = return_path_header(tx_->from);
    tx_->relay_skip = return_path.size();
    tx_->prefix = return_path + received_header(trace);
    if (submission())
        tx_->prefix += missing_header_fields(tx_->content->head(), !tx_->content->spooled(),
                                             SubmitterIdentity{ctx_.config.hostname, user_});
    return tx_->prefix;
}

void Session::deliver() {
    if (!tx_->quota_checked) return deliver_within_quota();
    if (!tx_->lists_kept) return keep_list_copies();
    store::Delivery delivery;
    delivery.envelope_from = tx_->from;
    std::vector<std::string> recipients;
    for (const auto& rcpt : tx_->recipients) {
        add_unique(recipients, rcpt.address);
        for (const auto& user : rcpt.resolution.local_users) add_unique(delivery.local_users, user);
        for (const auto& remote : rcpt.resolution.remote) add_unique(delivery.remote_rcpts, remote);
    }
    MessageBody& body = *tx_->content;
    message_prefix();  // makes the queue id
    delivery.queue_id = tx_->queue_id;
    delivery.relay_skip = tx_->relay_skip;
    delivery.folder = tx_->folder;
    if (ctx_.forwarding && !delivery.remote_rcpts.empty()) delivery.relay_from = ctx_.forwarding->relay_sender(tx_->from);
    const auto relay_from = delivery.relay_from;
    std::vector<store::Delivery> parts;  // none when only lists were addressed (they keep theirs)
    if (!delivery.local_users.empty() || !delivery.remote_rcpts.empty()) parts = spam_parts(std::move(delivery));

    std::string log_line = fmt::format("smtp queue_id={} client={} user={} from={} to={} size={}", tx_->queue_id,
                                       conn_->peer_ip(), user_.empty() ? "-" : user_, log::quoted(tx_->from),
                                       log::quoted(join_recipients(recipients)), body.size());
    if (!tx_->checks_summary.empty())
        log_line += fmt::format(" {}{}", tx_->checks_summary, tx_->folder == store::SpecialUse::junk ? " folder=Junk" : "");
    if (relay_from) log_line += fmt::format(" srs_from={}", log::quoted(*relay_from));
    std::string queue_id = tx_->queue_id;
    if (submission()) note_correspondents(recipients);
    std::optional<SieveEnvelope> sieve = sieve_envelope(parts);
    reset_transaction();
    input_ = Input::waiting;
    conn_->pause_input();
    if (sieve) return filter_then_store(std::move(*sieve), std::move(parts), std::move(log_line));
    store_parts(std::move(parts), std::move(log_line), std::move(queue_id), {});
}

void Session::store_parts(std::vector<store::Delivery> parts, std::string log_line, std::string queue_id,
                          SieveFollowUps follow_ups) {
    // One reply for every part: the first failure, or 250 once all are stored.
    struct Outcome {
        size_t left = 0;
        store::Error error;
        SieveFollowUps follow_ups;
    };
    SieveDelivery* sieve = ctx_.sieve;
    auto answer = [session = ref(), log_line, queue_id, &received = received_counter(listener_)](store::Error error) {
        if (error.empty()) received.inc();
        Session* self = session.get();
        if (!self) {
            if (error.empty()) log::info("{} result=stored, client gone before the reply", log_line);
            return;
        }
        if (error.empty()) log::info("{} result=accepted", log_line);
        self->reply(error.empty() ? fmt::format("250 2.0.0 Ok: queued as {}", queue_id) : storage_failure_reply(error));
        self->resume_after_async();
    };
    if (parts.empty()) {  // every copy discarded: accepted, nothing to keep
        if (sieve) return sieve->follow_up(std::move(follow_ups), [answer] { answer({}); });
        return answer({});
    }
    auto outcome = std::make_shared<Outcome>();
    outcome->left = parts.size();
    outcome->follow_ups = std::move(follow_ups);
    std::vector<std::string> local_users;
    for (const auto& part : parts) local_users.insert(local_users.end(), part.local_users.begin(), part.local_users.end());
    for (auto& part : parts)
        ctx_.store.deliver(std::move(part), [answer, log_line, outcome, sieve, local_users, &ctx = ctx_](store::Error error) {
            if (!error.empty() && outcome->error.empty()) outcome->error = error;
            if (--outcome->left > 0) return;
            error = outcome->error;
            if (!error.empty()) log::error("{} result=failed: {}", log_line, error);
            if (error.empty()) warn_filling_mailboxes(ctx.store, ctx.config, local_users);
            if (error.empty() && sieve) return sieve->follow_up(std::move(outcome->follow_ups), [answer] { answer({}); });
            answer(error);
        });
}

// The stored bytes: the prefix, the edits of the checks on arrival and of
// the spam verdict, the body (in memory, or a spool with the edits in it).
void Session::fill_content(store::Delivery& delivery, const std::vector<store::ContentEdit>& edits,
                           std::shared_ptr<store::Spool> edited) {
    MessageBody& body = *tx_->content;
    const std::string& prefix = message_prefix();
    if (body.spooled()) {
        delivery.spool = edited ? std::move(edited) : body.stream()->spool();
    } else if (!edits.empty()) {
        delivery.data = store::apply_edits(prefix + body.memory(), edits);
    } else {
        delivery.data.reserve(prefix.size() + body.memory().size());
        delivery.data = prefix + body.memory();
    }
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
    conn_->start_tls_server(ctx_.tls, ref().bind([](Session& self, bool ok) {
        if (!ok) return;
        // RFC 3207 section 4.2: forget everything learnt before TLS.
        self.lines_.reset();
        self.helo_.clear();
        self.esmtp_ = false;
        self.user_.clear();
        self.reset_transaction();
        self.resume_after_async();
    }));
}

void Session::handle_auth(const Command& cmd) {
    if (!submission()) return reply("503 5.5.1 Error: authentication not enabled");
    if (!conn_->tls_active()) return reply("530 5.7.0 Must issue a STARTTLS command first");
    if (helo_.empty()) return reply("503 5.5.1 Error: send EHLO first");
    if (!user_.empty()) return reply("503 5.5.1 Error: already authenticated");
    if (tx_) return reply("503 5.5.1 Error: MAIL transaction in progress");
    auto& sasl = sasl_.emplace(cmd.mechanism);
    if (!cmd.syntax_error.empty()) {  // an initial response that is not base64
        auto prompt = sasl.begin();   // an unknown mechanism is reported first
        bool known = !std::holds_alternative<auth::SaslFailure>(prompt);
        return on_sasl_step(known ? auth::SaslFailure::malformed_base64 : std::move(prompt));
    }
    on_sasl_step(sasl.start(cmd.initial_response));
}

void Session::on_sasl_step(auth::SaslStep step) {
    if (auto* challenge = std::get_if<auth::SaslChallenge>(&step)) {
        input_ = Input::auth_response;
        return reply("334 " + challenge->base64);
    }
    input_ = Input::command;
    sasl_.reset();
    if (auto* failure = std::get_if<auth::SaslFailure>(&step)) {
        if (*failure == auth::SaslFailure::authzid_mismatch)
            session::Login::log_failure("smtp", conn_->peer_ip(), {}, "authzid");
        return reply(sasl_refusal(*failure));
    }
    auto& credentials = std::get<auth::Credentials>(step);
    verify_credentials(std::move(credentials.username), std::move(credentials.password));
}

// The password check runs on the hash pool; its answer comes after the
// throttle's delay (session::Login).
void Session::verify_credentials(std::string username, std::string password) {
    input_ = Input::waiting;
    conn_->pause_input();
    auto check = auth::directory_password_check(ctx_.directory);
    login_.check(*conn_, session::LoginServices{check, ctx_.throttle, *ctx_.hash_pool}, std::move(username),
                 std::move(password), [this](const session::Login::Outcome& outcome) { on_login(outcome); });
}

void Session::on_login(const session::Login::Outcome& outcome) {
    using Result = session::Login::Result;
    if (outcome.result == Result::accepted) {
        user_ = outcome.user;
        log::info("smtp client={} user={} authenticated", conn_->peer_ip(), user_);
        reply("235 2.7.0 Authentication successful");
        return resume_after_async();
    }
    if (outcome.result == Result::unavailable) {
        reply("454 4.7.0 Temporary authentication failure");
        return resume_after_async();
    }
    if (outcome.result == Result::too_many_connections) {
        reply("454 4.7.0 Too many connections for this user from this address");
        return resume_after_async();
    }
    reply("535 5.7.8 Authentication credentials invalid");
    count_error();
    if (!conn_->closing()) resume_after_async();
}

}  // namespace pochta::smtp
