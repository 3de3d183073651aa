// When to try a deferred message again, when to give up, and how many
// connections one destination may take at once. Pure policy, no I/O: the
// queue runner asks, the store remembers.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pochta::outbound {

using Clock = std::chrono::system_clock;

class RetrySchedule {
public:
    // 5m, 10m, 20m, 40m, 80m, then every 2h.
    RetrySchedule();
    // The delay after the 1st, 2nd, ... failed attempt; the last entry
    // repeats. Entries below one second are raised to one second; an empty
    // list gives the default.
    explicit RetrySchedule(std::vector<std::chrono::seconds> steps);

    // Delay before the next try after `failed_attempts` failures (>= 1;
    // 0 is treated as 1).
    std::chrono::seconds delay_after(unsigned failed_attempts) const;

    // When to try next, never later than the moment the message expires, so
    // that the last try happens right at the end of its queue time.
    Clock::time_point next_attempt(Clock::time_point last_attempt, unsigned failed_attempts,
                                   Clock::time_point created, std::chrono::seconds max_queue_time) const;

    const std::vector<std::chrono::seconds>& steps() const { return steps_; }

private:
    std::vector<std::chrono::seconds> steps_;
};

// After a failed attempt: has the message been queued for max_queue_time?
// Then it bounces instead of being deferred again.
bool expired(Clock::time_point created, Clock::time_point now, std::chrono::seconds max_queue_time);

// "5m, 10m, 1h" (durations as in the configuration file, comma separated);
// nullopt on bad syntax or an empty list.
std::optional<RetrySchedule> parse_retry_schedule(std::string_view text);

// Connections per destination (a domain, or the relay), so that one slow
// or unreachable domain holds at most `per_destination` slots and the rest
// of the queue keeps moving.
class DestinationSlots {
public:
    explicit DestinationSlots(size_t per_destination = 5, size_t total = 100)
        : per_destination_(per_destination), total_(total) {}

    // Takes a slot; false when the destination or everything is at its limit.
    bool try_acquire(const std::string& destination);
    void release(const std::string& destination);
    size_t in_use(const std::string& destination) const;
    size_t in_use() const { return total_in_use_; }

private:
    size_t per_destination_, total_;
    size_t total_in_use_ = 0;
    std::map<std::string, size_t> used_;   // keys lowercased
};

}  // namespace pochta::outbound
