#include "smtp/outbound_limits.hpp"

#include <fmt/format.h>

#include "common/util/log.hpp"
#include "smtp/session.hpp"

namespace pochta::smtp {

namespace {

constexpr auto hour = std::chrono::hours(1);

}  // namespace

void OutboundLimits::forget_old(History& history, Clock::time_point now) {
    while (!history.sent.empty() && now - history.sent.front().when >= hour) {
        history.recipients -= history.sent.front().recipients;
        history.sent.pop_front();
    }
}

OutboundLimits::Verdict OutboundLimits::admit(const std::string& user, size_t recipients, Clock::time_point now) {
    // Users idle for an hour are dropped now and then, so the map stays the size of the last hour's senders.
    if (now - last_sweep_ >= hour) {
        last_sweep_ = now;
        for (auto it = users_.begin(); it != users_.end();) {
            forget_old(it->second, now);
            it = it->second.sent.empty() ? users_.erase(it) : std::next(it);
        }
    }
    History& history = users_[user];
    forget_old(history, now);
    if (history.sent.size() >= messages_per_hour_) return Verdict::too_many_messages;
    if (history.recipients + recipients > recipients_per_hour_) return Verdict::too_many_recipients;
    history.sent.push_back({now, recipients});
    history.recipients += recipients;
    return Verdict::allowed;
}

// Submission: above the user's hourly limits the message is refused with
// a temporary error before it is stored; the log line is for the admin.
bool Session::within_outbound_limits() {
    if (!submission() || !ctx_.outbound_limits) return true;
    OutboundLimits& limits = *ctx_.outbound_limits;
    const auto verdict = limits.admit(user_, tx_->recipients.size());
    if (verdict == OutboundLimits::Verdict::allowed) return true;
    const bool messages = verdict == OutboundLimits::Verdict::too_many_messages;
    log::warn("smtp outbound limit user={} client={} from={} rcpts={} limit={} {}/h", user_, conn_->peer_ip(),
              log::quoted(tx_->from), tx_->recipients.size(), messages ? "messages" : "recipients",
              messages ? limits.messages_per_hour() : limits.recipients_per_hour());
    reset_transaction();
    reply(messages ? fmt::format("451 4.7.1 Sending limit reached: at most {} messages per hour, try again later",
                                 limits.messages_per_hour())
                   : fmt::format("451 4.7.1 Sending limit reached: at most {} recipients per hour, try again later",
                                 limits.recipients_per_hour()));
    return false;
}

}  // namespace pochta::smtp
