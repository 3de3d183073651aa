#include "outbound/retry.hpp"

#include <algorithm>

#include "common/config/config.hpp"
#include "common/util/strings.hpp"

namespace pochta::outbound {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

std::vector<seconds> default_steps() {
    return {minutes(5), minutes(10), minutes(20), minutes(40), minutes(80), minutes(120)};
}

}  // namespace

RetrySchedule::RetrySchedule() : steps_(default_steps()) {}

RetrySchedule::RetrySchedule(std::vector<seconds> steps) : steps_(std::move(steps)) {
    if (steps_.empty()) steps_ = default_steps();
    // A zero delay would turn a failing destination into a busy loop.
    for (auto& step : steps_) step = std::max(step, seconds(1));
}

seconds RetrySchedule::delay_after(unsigned failed_attempts) const {
    size_t index = failed_attempts == 0 ? 0 : failed_attempts - 1;
    return steps_[std::min(index, steps_.size() - 1)];
}

Clock::time_point RetrySchedule::next_attempt(Clock::time_point last_attempt, unsigned failed_attempts,
                                              Clock::time_point created, seconds max_queue_time) const {
    auto next = last_attempt + delay_after(failed_attempts);
    auto expiry = created + max_queue_time;
    // Already past expiry: the caller bounces; no reason to move the time back.
    if (last_attempt >= expiry) return next;
    return std::min(next, expiry);
}

bool expired(Clock::time_point created, Clock::time_point now, seconds max_queue_time) {
    return now - created >= max_queue_time;
}

std::optional<RetrySchedule> parse_retry_schedule(std::string_view text) {
    std::vector<seconds> steps;
    for (auto part : split(text, ',')) {
        auto item = trim(part);
        auto duration = parse_duration(item);
        if (item.empty() || !duration || duration->count() <= 0) return std::nullopt;
        if (steps.size() == 100) return std::nullopt;   // not a schedule anybody means
        steps.push_back(*duration);
    }
    if (steps.empty()) return std::nullopt;
    return RetrySchedule(std::move(steps));
}

bool DestinationSlots::try_acquire(const std::string& destination) {
    if (total_in_use_ >= total_) return false;
    size_t& used = used_[to_lower(destination)];
    if (used >= per_destination_) return false;
    used++;
    total_in_use_++;
    return true;
}

void DestinationSlots::release(const std::string& destination) {
    auto it = used_.find(to_lower(destination));
    if (it == used_.end() || it->second == 0) return;   // a double release must not underflow
    total_in_use_--;
    if (--it->second == 0) used_.erase(it);
}

size_t DestinationSlots::in_use(const std::string& destination) const {
    auto it = used_.find(to_lower(destination));
    return it == used_.end() ? 0 : it->second;
}

}  // namespace pochta::outbound
