// Slows down password guessing (README.md, "Logins under attack"): failed
// logins are counted per client address and per account; each login's
// answer, success or failure, waits a delay that grows with both counts, and
// an address that keeps failing is banned for a while. A success clears that
// account's counter and that address's failures for that account only, so
// an attacker's own account cannot wash away his guesses at another one. An
// account's counter only delays, never locks out: an attacker must not be
// able to shut a user out, and an address the account logged in from before
// (within known_for) is not slowed by the account's counter at all, so a
// user keeps logging in at once while strangers guess at the account.
// Shared by SMTP, IMAP and POP3; loop thread only.
#pragma once

#include <chrono>
#include <string>
#include <unordered_map>

namespace pochta::auth {

struct ThrottleSettings {
    std::chrono::milliseconds max_delay = std::chrono::seconds(15);
    unsigned account_delay_after = 5;     // failures on one account before it is slowed down
    unsigned ban_after = 20;              // failures from one address, then it is banned
    std::chrono::seconds ban_time = std::chrono::minutes(15);
};

class LoginThrottle {
public:
    using Clock = std::chrono::steady_clock;

    explicit LoginThrottle(ThrottleSettings settings = {}) : settings_(settings) {}

    struct Failure {
        std::chrono::milliseconds delay;  // before the failure answer goes out
        bool ban_started = false;         // this failure banned the address
    };

    // The wait before any answer to a login from `ip` for `account` now.
    std::chrono::milliseconds delay(const std::string& ip, const std::string& account,
                                    Clock::time_point now = Clock::now()) const;
    Failure record_failure(const std::string& ip, const std::string& account, Clock::time_point now);
    void record_success(const std::string& ip, const std::string& account);
    bool banned(const std::string& ip, Clock::time_point now = Clock::now()) const;

    // The address alone (an account of ""): the delay for the failure answer.
    std::chrono::milliseconds record_failure(const std::string& ip, Clock::time_point now = Clock::now());
    void record_success(const std::string& ip);
    // Failures from this address still counted.
    unsigned failures(const std::string& ip, Clock::time_point now = Clock::now()) const;

    const ThrottleSettings& settings() const { return settings_; }

private:
    struct Address {
        unsigned failures = 0;
        Clock::time_point last;
        Clock::time_point banned_until;
        std::unordered_map<std::string, unsigned> per_account;  // failures for each account tried
    };
    struct Account {
        unsigned failures = 0;
        Clock::time_point last;
    };
    bool known(const std::string& ip, const std::string& name, Clock::time_point now) const;
    void remember(const std::string& ip, const std::string& name, Clock::time_point now);
    std::chrono::milliseconds schedule(unsigned failures) const;
    void forget_old(Clock::time_point now);
    bool current(Clock::time_point last, Clock::time_point now) const { return now - last <= forget_after; }

    ThrottleSettings settings_;
    std::unordered_map<std::string, Address> addresses_;
    std::unordered_map<std::string, Account> accounts_;  // lowercased names as the clients typed them
    // "ip account" pairs that logged in successfully, with the time.
    std::unordered_map<std::string, Clock::time_point> known_;
    static constexpr auto known_for = std::chrono::hours(24 * 30);
    static constexpr auto forget_after = std::chrono::minutes(15);
    static constexpr size_t max_entries = 100000;
    static constexpr size_t max_accounts_per_address = 1000;
};

}  // namespace pochta::auth
