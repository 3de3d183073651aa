#include "common/auth/login_throttle.hpp"

#include <algorithm>

#include "common/util/strings.hpp"

namespace pochta::auth {

// 1 s after the first failure, then 4, 9, ... up to max_delay: harmless to
// a user who mistyped, ruinous to a guesser.
std::chrono::milliseconds LoginThrottle::schedule(unsigned failures) const {
    if (failures == 0) return std::chrono::milliseconds(0);
    uint64_t seconds = std::min<uint64_t>(uint64_t(failures) * failures, 24 * 3600);
    return std::min<std::chrono::milliseconds>(std::chrono::seconds(seconds), settings_.max_delay);
}

std::chrono::milliseconds LoginThrottle::delay(const std::string& ip, const std::string& account,
                                               Clock::time_point now) const {
    unsigned by_address = failures(ip, now);
    unsigned by_account = 0;
    auto it = accounts_.find(to_lower(account));
    if (!account.empty() && it != accounts_.end() && current(it->second.last, now)) by_account = it->second.failures;
    unsigned over = by_account > settings_.account_delay_after ? by_account - settings_.account_delay_after : 0;
    if (over > 0 && known(ip, to_lower(account), now)) over = 0;
    return std::max(schedule(by_address), schedule(over));
}

LoginThrottle::Failure LoginThrottle::record_failure(const std::string& ip, const std::string& account,
                                                     Clock::time_point now) {
    if (addresses_.size() >= max_entries || accounts_.size() >= max_entries) forget_old(now);
    std::string name = to_lower(account);
    Address& address = addresses_[ip];
    if (!current(address.last, now)) {
        address.failures = 0;
        address.per_account.clear();
    }
    address.failures++;
    address.last = now;
    if (address.per_account.size() < max_accounts_per_address || address.per_account.count(name))
        address.per_account[name]++;
    if (!name.empty()) {
        Account& entry = accounts_[name];
        if (!current(entry.last, now)) entry.failures = 0;
        entry.failures++;
        entry.last = now;
    }
    Failure failure{delay(ip, account, now), false};
    if (address.failures >= settings_.ban_after && address.banned_until <= now) {
        address.banned_until = now + settings_.ban_time;
        failure.ban_started = true;
    }
    return failure;
}

bool LoginThrottle::known(const std::string& ip, const std::string& name, Clock::time_point now) const {
    auto it = known_.find(ip + ' ' + name);
    return it != known_.end() && now - it->second <= known_for;
}

void LoginThrottle::remember(const std::string& ip, const std::string& name, Clock::time_point now) {
    if (known_.size() >= max_entries) {
        std::erase_if(known_, [&](const auto& item) { return now - item.second > known_for; });
        if (known_.size() >= max_entries) known_.clear();  // a flood of accounts: start over rather than grow
    }
    known_[ip + ' ' + name] = now;
}

void LoginThrottle::record_success(const std::string& ip, const std::string& account) {
    std::string name = to_lower(account);
    if (!name.empty()) {
        accounts_.erase(name);
        remember(ip, name, Clock::now());
    }
    auto it = addresses_.find(ip);
    if (it == addresses_.end()) return;
    Address& address = it->second;
    auto own = address.per_account.find(name);
    if (own == address.per_account.end()) return;
    address.failures -= std::min(address.failures, own->second);
    address.per_account.erase(own);
    if (address.failures == 0 && address.banned_until <= Clock::now()) addresses_.erase(it);
}

bool LoginThrottle::banned(const std::string& ip, Clock::time_point now) const {
    auto it = addresses_.find(ip);
    return it != addresses_.end() && it->second.banned_until > now;
}

std::chrono::milliseconds LoginThrottle::record_failure(const std::string& ip, Clock::time_point now) {
    return record_failure(ip, std::string(), now).delay;
}

void LoginThrottle::record_success(const std::string& ip) { record_success(ip, std::string()); }

unsigned LoginThrottle::failures(const std::string& ip, Clock::time_point now) const {
    auto it = addresses_.find(ip);
    if (it == addresses_.end() || !current(it->second.last, now)) return 0;
    return it->second.failures;
}

void LoginThrottle::forget_old(Clock::time_point now) {
    std::erase_if(addresses_, [&](const auto& item) {
        return !current(item.second.last, now) && item.second.banned_until <= now;
    });
    std::erase_if(accounts_, [&](const auto& item) { return !current(item.second.last, now); });
    // Under a flood of fresh addresses or names, start over rather than grow.
    if (addresses_.size() >= max_entries) addresses_.clear();
    if (accounts_.size() >= max_entries) accounts_.clear();
}

}  // namespace pochta::auth
