// Slows down password guessing: every failed login from a client IP makes
// the next failure reply from that IP wait longer (up to a cap). Shared by
// SMTP, IMAP and POP3; used on the loop thread only.
#pragma once

#include <chrono>
#include <string>
#include <unordered_map>

namespace pochta::auth {

class LoginThrottle {
public:
    using Clock = std::chrono::steady_clock;

    // How long to hold back the failure reply for this IP after recording a failure.
    std::chrono::milliseconds record_failure(const std::string& ip, Clock::time_point now = Clock::now());
    void record_success(const std::string& ip);
    unsigned failures(const std::string& ip, Clock::time_point now = Clock::now()) const;

private:
    struct Entry {
        unsigned failures = 0;
        Clock::time_point last;
    };
    void forget_old(Clock::time_point now);

    std::unordered_map<std::string, Entry> entries_;
    static constexpr auto forget_after = std::chrono::minutes(15);
    static constexpr size_t max_entries = 100000;
};

}  // namespace pochta::auth
