#include "outbound/queue_outcome.hpp"

#include "common/util/log.hpp"
#include "common/util/strings.hpp"

namespace pochta::outbound {

namespace {

Clock::time_point from_unix(int64_t seconds) { return Clock::time_point(std::chrono::seconds(seconds)); }

int64_t to_unix(Clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

// "5.1.2" from "550 5.1.2 text"; "" when the text has no enhanced code.
std::string enhanced_code(std::string_view text) {
    if (text.size() < 9 || text[3] != ' ') return {};
    std::string_view rest = text.substr(4);
    const size_t end = rest.find(' ');
    std::string_view code = rest.substr(0, end);
    if (code.size() < 5 || code.size() > 11 || (code[0] != '2' && code[0] != '4' && code[0] != '5') || code[1] != '.')
        return {};
    int dots = 0;
    for (char c : code) {
        if (c == '.') dots++;
        else if (c < '0' || c > '9') return {};
    }
    return dots == 2 ? std::string(code) : std::string();
}

DsnRecipient dsn_for(const RecipientReport& report, Clock::time_point now, bool gave_up) {
    DsnRecipient r;
    r.address = report.rcpt;
    r.action = DsnRecipient::Action::failed;
    r.remote_mta = report.remote_mta;
    r.last_attempt = now;
    if (!report.remote_mta.empty() && !report.reply.empty())
        r.diagnostic = report.reply;
    else
        r.reason = report.reply;
    // Our own reasons ("550 5.1.2 Host or domain name not found") carry
    // their status like a reply would.
    if (r.diagnostic.empty()) r.status = enhanced_code(r.reason);
    if (gave_up) {
        // A temporary reply given up on: the detail stays, the class becomes 5.
        r.reason = "delivery kept failing temporarily until the message's queue time ran out" +
                   (r.reason.empty() ? std::string() : ": " + r.reason);
        if (r.diagnostic.empty() && r.status.empty()) r.status = "5.4.7";
    }
    return r;
}

}  // namespace

std::string recipient_domain(std::string_view address) {
    const size_t at = address.rfind('@');
    return at == std::string_view::npos ? std::string() : to_lower(address.substr(at + 1));
}

AttemptDecision decide_attempt(const store::QueuedMessage& message, const std::vector<RecipientReport>& reports,
                               Clock::time_point now, const RetrySchedule& schedule,
                               std::chrono::seconds max_queue_time) {
    AttemptDecision d;
    d.update.id = message.id;
    d.update.attempt_done = true;
    const Clock::time_point created = from_unix(message.created);
    const bool give_up = expired(created, now, max_queue_time);
    for (const auto& report : reports) {
        store::RcptOutcome o{report.rcpt, store::RcptOutcome::State::deferred, report.reply};
        if (report.outcome == Outcome::delivered) {
            o.state = store::RcptOutcome::State::delivered;
        } else if (report.outcome == Outcome::permanent || give_up) {
            o.state = store::RcptOutcome::State::failed;
            d.failed.push_back(dsn_for(report, now, report.outcome != Outcome::permanent));
        } else {
            d.update.last_reply = report.reply;
        }
        d.update.rcpts.push_back(std::move(o));
    }
    d.update.next_attempt =
        to_unix(schedule.next_attempt(now, message.attempts + 1, created, max_queue_time));
    return d;
}

std::optional<store::Delivery> make_bounce(const store::QueuedMessage& message,
                                           const std::vector<DsnRecipient>& failed, const std::string& hostname,
                                           const BounceRoute& route) {
    if (failed.empty() || !should_bounce(message.envelope_from)) return std::nullopt;
    DsnInput input;
    input.reporting_mta = hostname;
    input.queue_id = message.id;
    input.original_sender = message.envelope_from;
    input.arrival = from_unix(message.created);
    input.recipients = failed;
    input.original_message = message.data;
    Bounce bounce = compose_dsn(input);

    store::Delivery d;
    d.queue_id = random_hex(8);
    d.envelope_from = "";
    const std::string domain = recipient_domain(message.envelope_from);
    if (route.is_local_domain && route.is_local_domain(domain)) {
        auth::Resolution where = route.resolve_local ? route.resolve_local(message.envelope_from) : auth::Resolution{};
        if (!where.found && route.take_local && route.take_local(message.envelope_from, bounce.message))
            return std::nullopt;
        if (!where.found || (where.local_users.empty() && where.remote.empty())) {
            log::warn("queue {}: no bounce: the local sender <{}> does not exist", message.id, message.envelope_from);
            return std::nullopt;
        }
        d.local_users = std::move(where.local_users);
        d.remote_rcpts = std::move(where.remote);
    } else {
        d.remote_rcpts.push_back(message.envelope_from);
    }
    // Local copies carry a Return-Path like every local delivery; the
    // queued copy skips it.
    const std::string return_path = "Return-Path: <>\r\n";
    d.relay_skip = return_path.size();
    d.data = return_path + bounce.message;
    return d;
}

}  // namespace pochta::outbound
