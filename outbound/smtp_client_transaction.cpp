// The mail transaction half of the outbound client: MAIL, RCPT, DATA or
// BDAT for one message, and the per-recipient verdicts.
#include <fmt/format.h>

#include <algorithm>

#include "common/util/log.hpp"
#include "outbound/smtp_client.hpp"

namespace pochta::outbound {
namespace {

constexpr size_t max_path = 512;   // far above RFC 5321's 256; only guards against junk

// The addresses go into command lines: a line break inside one would
// inject a command of the caller's choosing.
bool safe_path(std::string_view path) {
    if (path.size() > max_path) return false;
    return std::none_of(path.begin(), path.end(), [](char c) {
        auto u = static_cast<unsigned char>(c);
        return u < 0x20 || u == 0x7f;
    });
}

Outcome outcome_of(const Reply& reply) {
    if (reply.kind() == 2) return Outcome::delivered;
    if (reply.kind() == 5) return Outcome::permanent;
    return Outcome::temporary;   // 4xx, and a 3xx where none belongs
}

}  // namespace

void SmtpClient::Ref::send(OutboundMessage message, Done done) {
    if (SmtpClient* c = client()) return c->send(std::move(message), std::move(done));
    report_later(loop_, "", std::move(message), std::move(done), "session is not reusable");
}

void SmtpClient::send(OutboundMessage message, Done done) {
    if (!reusable() || tx_)
        return report_later(loop_, relay_, std::move(message), std::move(done), "session is not reusable");
    tx_.emplace();
    tx_->message = std::move(message);
    tx_->done = std::move(done);
    phase_ = Phase::ready;
    // The previous transaction may have ended half way (a refused MAIL or
    // RCPT); RSET also proves the server is still there.
    queue_command("RSET", Expect::rset, options_.timeouts.command);
    flush_commands();
}

void SmtpClient::report_later(net::EventLoop* loop, const std::string& relay, OutboundMessage message, Done done,
                              std::string error) {
    TransactionResult result;
    result.session_error = error;
    result.relay = relay;
    for (auto& rcpt : message.recipients) result.recipients.push_back(RecipientResult{rcpt, Outcome::temporary, error, false});
    auto report = [done = std::move(done), result = std::move(result)]() mutable {
        if (done) done(std::move(result));
    };
    if (loop) loop->post(std::move(report));
    else report();
}

void SmtpClient::begin_transaction() {
    if (!tx_) {
        phase_ = Phase::idle;
        return;
    }
    phase_ = Phase::transaction;
    auto& tx = *tx_;
    for (const auto& rcpt : tx.message.recipients) {
        tx.results.push_back(RecipientResult{rcpt, Outcome::temporary, "", false});
        tx.states.push_back(RcptState::pending);
    }
    if (!tx.message.data) {
        decide_all(Outcome::temporary, "internal error: no message data", false);
        return finish_transaction(true);
    }
    if (auto refusal = precheck()) {
        decide_all(Outcome::permanent, *refusal, false);
        return finish_transaction(true);
    }
    if (!safe_path(tx.message.from)) {
        decide_all(Outcome::permanent, "553 5.1.7 invalid sender address", false);
        return finish_transaction(true);
    }
    for (size_t i = 0; i < tx.results.size(); i++) {
        if (!safe_path(tx.results[i].recipient) || tx.results[i].recipient.empty())
            decide(i, Outcome::permanent, "553 5.1.3 invalid recipient address", false);
    }
    if (std::count(tx.states.begin(), tx.states.end(), RcptState::pending) == 0) return finish_transaction(true);
    send_envelope();
}

// What we know before saying MAIL: these messages would only be refused.
std::optional<std::string> SmtpClient::precheck() const {
    const auto& msg = tx_->message;
    if (ext_.size > 0 && msg.data->size() > ext_.size)
        return fmt::format("552 5.3.4 message size {} exceeds the limit of {} bytes of {}", msg.data->size(),
                           ext_.size, relay_);
    if (msg.eight_bit && !ext_.eight_bit_mime)
        return fmt::format("554 5.6.3 message has 8-bit content but {} does not support 8BITMIME", relay_);
    if (msg.smtputf8 && !ext_.smtputf8)
        return fmt::format("553 5.6.7 message needs SMTPUTF8 (non-ASCII address) but {} does not support it", relay_);
    return std::nullopt;
}

std::string SmtpClient::mail_command() const {
    const auto& msg = tx_->message;
    std::string line = "MAIL FROM:<" + msg.from + ">";
    if (ext_.size > 0) line += fmt::format(" SIZE={}", msg.data->size());
    if (msg.eight_bit && ext_.eight_bit_mime) line += " BODY=8BITMIME";
    if (msg.smtputf8 && ext_.smtputf8) line += " SMTPUTF8";
    return line;
}

// With PIPELINING, MAIL, every RCPT and DATA leave in one write (RFC 2920
// section 3.1: DATA ends the group). BDAT waits for the RCPT replies, so no
// data is sent for a transaction without recipients.
void SmtpClient::send_envelope() {
    const auto& t = options_.timeouts;
    queue_command(mail_command(), Expect::mail, t.mail);
    for (size_t i = 0; i < tx_->results.size(); i++) {
        if (tx_->states[i] == RcptState::pending)
            queue_command("RCPT TO:<" + tx_->results[i].recipient + ">", Expect::rcpt, t.rcpt, i);
    }
    if (!ext_.chunking) queue_command("DATA", Expect::data, t.data_init);
    flush_commands();
}

void SmtpClient::handle_mail(const Reply& reply) {
    if (reply.kind() == 2) return;
    tx_->mail_refusal = reply;
    if (reply.code == 421) return fail_session("MAIL FROM: " + reply.text());
    if (ext_.pipelining) return;   // the RCPT and DATA replies are on their way
    outbox_.clear();
    decide_all(outcome_of(reply), reply.text(), true);
    finish_transaction(true);
}

void SmtpClient::handle_rcpt(const Reply& reply, size_t index) {
    if (!tx_ || index >= tx_->states.size()) return fail_session("internal error: reply for an unknown recipient");
    if (tx_->mail_refusal) {
        // RFC 2920: after a refused MAIL the RCPT replies say nothing; the
        // recipients carry the MAIL refusal instead.
        decide(index, outcome_of(*tx_->mail_refusal), tx_->mail_refusal->text(), true);
    } else if (reply.kind() == 2) {
        tx_->states[index] = RcptState::accepted;
        tx_->accepted++;
    } else {
        decide(index, outcome_of(reply), reply.text(), true);
    }
    if (reply.code == 421) return fail_session("RCPT TO: " + reply.text());
    auto is_rcpt = [](const Command& c) { return c.expect == Expect::rcpt; };
    bool more = std::any_of(expected_.begin(), expected_.end(), is_rcpt) ||
                std::any_of(outbox_.begin(), outbox_.end(), is_rcpt);
    if (!more) after_recipients();
}

void SmtpClient::after_recipients() {
    bool nothing_to_send = tx_->mail_refusal || tx_->accepted == 0;
    bool data_sent = !expected_.empty() && expected_.front().expect == Expect::data;
    if (nothing_to_send) {
        if (data_sent) return;   // its reply (refusal or 354) comes next
        outbox_.clear();
        return finish_transaction(true);
    }
    if (ext_.chunking) write_next_chunk();
}

void SmtpClient::handle_data(const Reply& reply) {
    bool nothing_to_send = tx_->mail_refusal || tx_->accepted == 0;
    if (reply.code == 354 && nothing_to_send) {
        // A pipelined DATA was accepted although no recipient was: end the
        // empty message at once, then forget it.
        conn_->write(".\r\n");
        expected_.push_back(Command{"", Expect::discard_dot, options_.timeouts.data_final});
        return arm_timer(options_.timeouts.data_final, expect_name(Expect::discard_dot));
    }
    if (reply.code == 354) {
        phase_ = Phase::sending_data;
        tx_->encoder = std::make_unique<DataEncoder>(tx_->message.data);
        return write_data_block();
    }
    if (!nothing_to_send) decide_accepted(reply);
    if (reply.code == 421) return fail_session("DATA: " + reply.text());
    finish_transaction(true);
}

// One block per drained output queue: memory stays bounded by the block
// size, and each block must leave within the data block timeout.
void SmtpClient::write_data_block() {
    if (!live() || !tx_ || !tx_->encoder) return;
    conn_->write(tx_->encoder->next(options_.data_block));
    if (!tx_->encoder->done()) return arm_timer(options_.timeouts.data_block, "the message data to be sent");
    phase_ = Phase::transaction;
    expected_.push_back(Command{"", Expect::dot, options_.timeouts.data_final});
    arm_timer(options_.timeouts.data_final, expect_name(Expect::dot));
}

// RFC 3030: the exact octets, no dot-stuffing, in chunks; each chunk's reply
// is awaited before the next, so a refusal stops the transfer early.
void SmtpClient::write_next_chunk() {
    const std::string& data = *tx_->message.data;
    size_t size = std::min(options_.chunk_size, data.size() - tx_->chunk_offset);
    bool last = tx_->chunk_offset + size == data.size();
    std::string out = fmt::format("BDAT {}{}\r\n", size, last ? " LAST" : "");
    out.append(data, tx_->chunk_offset, size);
    tx_->chunk_offset += size;
    tx_->last_chunk_sent = last;
    conn_->write(out);
    auto timeout = last ? options_.timeouts.data_final : options_.timeouts.data_block;
    expected_.push_back(Command{"", Expect::bdat, timeout});
    arm_timer(timeout, expect_name(Expect::bdat));
}

void SmtpClient::handle_bdat(const Reply& reply) {
    if (reply.kind() == 2 && !tx_->last_chunk_sent) return write_next_chunk();
    handle_final(reply);
}

void SmtpClient::handle_final(const Reply& reply) {
    decide_accepted(reply);
    if (reply.code == 421) return fail_session("end of data: " + reply.text());
    finish_transaction(true);
}

// The server answered while the message was still being sent: it gave up
// on it (too big, policy); the rest of the stream cannot be taken back.
void SmtpClient::handle_early_reply(const Reply& reply) {
    Reply verdict = reply;
    if (verdict.kind() == 2) verdict.code = 451;   // a "250" before the end is no acceptance
    decide_accepted(verdict);
    fail_session("reply before the end of the message data: " + reply.text());
}

void SmtpClient::decide(size_t index, Outcome outcome, std::string reply, bool remote) {
    auto& result = tx_->results[index];
    result.outcome = outcome;
    result.reply = std::move(reply);
    result.remote = remote;
    tx_->states[index] = RcptState::decided;
}

void SmtpClient::decide_accepted(const Reply& reply) {
    for (size_t i = 0; i < tx_->states.size(); i++) {
        if (tx_->states[i] == RcptState::accepted) decide(i, outcome_of(reply), reply.text(), true);
    }
}

void SmtpClient::decide_all(Outcome outcome, const std::string& reply, bool remote) {
    if (!tx_) return;
    if (tx_->results.empty()) {   // the session failed before the transaction began
        for (const auto& rcpt : tx_->message.recipients) {
            tx_->results.push_back(RecipientResult{rcpt, Outcome::temporary, "", false});
            tx_->states.push_back(RcptState::pending);
        }
    }
    for (size_t i = 0; i < tx_->states.size(); i++) {
        if (tx_->states[i] != RcptState::decided) decide(i, outcome, reply, remote);
    }
}

void SmtpClient::finish_transaction(bool reusable) {
    if (!tx_) return;
    Transaction tx = std::move(*tx_);
    tx_.reset();
    reusable = reusable && phase_ != Phase::closed && live();
    if (reusable) {
        phase_ = Phase::idle;
        timer_.reset();
    }
    // A recipient the server accepted but whose data never got an answer.
    for (size_t i = 0; i < tx.states.size(); i++) {
        if (tx.states[i] != RcptState::decided) {
            tx.results[i].outcome = Outcome::temporary;
            if (tx.results[i].reply.empty()) tx.results[i].reply = "no final reply";
        }
    }
    TransactionResult result;
    result.recipients = std::move(tx.results);
    result.session_error = session_error_;
    result.reusable = reusable;
    result.relay = relay_;
    result.tls = tls_;
    result.tls_verified = tls_verified_;
    for (const auto& r : result.recipients)
        log_delivery_attempt(tx.message.queue_id, r, relay_, tls_, tx.message.arrival);
    if (tx.done) tx.done(std::move(result));
}

}  // namespace pochta::outbound
