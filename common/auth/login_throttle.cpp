#include "common/auth/login_throttle.hpp"

#include <algorithm>

namespace pochta::auth {

std::chrono::milliseconds LoginThrottle::record_failure(const std::string& ip, Clock::time_point now) {
    if (entries_.size() >= max_entries) forget_old(now);
    Entry& entry = entries_[ip];
    if (now - entry.last > forget_after) entry.failures = 0;
    entry.failures++;
    entry.last = now;
    // 1 s after the first failure, growing to 15 s: harmless to a user who
    // mistyped, ruinous to a guesser.
    unsigned seconds = std::min(entry.failures * entry.failures, 15u);
    return std::chrono::seconds(seconds);
}

void LoginThrottle::record_success(const std::string& ip) { entries_.erase(ip); }

unsigned LoginThrottle::failures(const std::string& ip, Clock::time_point now) const {
    auto it = entries_.find(ip);
    if (it == entries_.end() || now - it->second.last > forget_after) return 0;
    return it->second.failures;
}

void LoginThrottle::forget_old(Clock::time_point now) {
    std::erase_if(entries_, [&](const auto& item) { return now - item.second.last > forget_after; });
    if (entries_.size() >= max_entries) entries_.clear();  // under a flood, start over rather than grow
}

}  // namespace pochta::auth
