// Outgoing limits per authenticated user (README.md, "Spam"): messages and
// recipients per hour, so a stolen password cannot turn the server into a
// spam cannon and ruin its IP address's reputation. Counted in memory over
// a sliding hour (a restart forgives); one user's count never touches
// another's. Loop thread only.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <map>
#include <string>

namespace pochta::smtp {

class OutboundLimits {
public:
    using Clock = std::chrono::steady_clock;

    OutboundLimits(unsigned messages_per_hour, unsigned recipients_per_hour)
        : messages_per_hour_(messages_per_hour), recipients_per_hour_(recipients_per_hour) {}

    enum class Verdict { allowed, too_many_messages, too_many_recipients };

    // Counts the message when it is allowed.
    Verdict admit(const std::string& user, size_t recipients, Clock::time_point now = Clock::now());

    unsigned messages_per_hour() const { return messages_per_hour_; }
    unsigned recipients_per_hour() const { return recipients_per_hour_; }

private:
    struct Sent {
        Clock::time_point when;
        size_t recipients;
    };
    struct History {
        std::deque<Sent> sent;   // the last hour's messages, oldest first
        size_t recipients = 0;   // their recipients, summed
    };
    void forget_old(History& history, Clock::time_point now);

    unsigned messages_per_hour_;
    unsigned recipients_per_hour_;
    std::map<std::string, History> users_;
    Clock::time_point last_sweep_{};
};

}  // namespace pochta::smtp
