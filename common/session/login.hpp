// The one login check of every protocol (README.md, "Logins under attack"):
// the password hash is verified on the hash pool, off the loop; the answer,
// success or failure, waits the throttle's delay for this address and
// account; a banned address is refused at once without hashing; every
// failure writes the one log line fail2ban reads:
//
//   auth failed protocol=imap client=192.0.2.7 user="bob@example.org" reason=credentials
//
// A session keeps one Login as a member; its callback runs on the loop,
// only while the Login exists and the connection is open, so it may use the
// session directly.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/auth/hash_pool.hpp"
#include "common/auth/login_throttle.hpp"
#include "common/auth/password.hpp"
#include "common/config/config.hpp"
#include "common/net/connection.hpp"
#include "common/util/liveness.hpp"

namespace pochta::session {

// What the sessions of one server share for logging in.
struct LoginServices {
    const auth::PasswordCheck& check;
    auth::LoginThrottle& throttle;
    auth::HashPool& pool;
};

class Login {
public:
    enum class Result {
        accepted,     // the credentials are right: Outcome::user is the canonical user
        refused,      // wrong name or password
        banned,       // the address is banned for now: refused without a check
        unavailable,  // the hash queue is full: a temporary failure
        // Right credentials, but the user has max_connections_per_user_ip
        // connections from this address already (README, "[limits]").
        too_many_connections,
    };
    struct Outcome {
        Result result = Result::refused;
        std::string user;
    };

    explicit Login(std::string_view protocol) : protocol_(protocol) {}
    ~Login();
    Login(const Login&) = delete;
    Login& operator=(const Login&) = delete;

    // Checks the credentials and calls `done` with the outcome once the
    // throttle's delay has passed. A check already under way is dropped.
    void check(net::Connection& conn, const LoginServices& services, std::string username, std::string password,
               std::function<void(Outcome)> done);
    bool pending() const { return pending_; }
    // Drops the check under way (the client left, the server stops): a job
    // still queued is skipped before it hashes, and `done` never runs.
    void cancel();
    // For Handler::on_peer_closed: a client that stopped sending in the
    // middle of its login has given up (or floods): its check is dropped
    // before it hashes and the connection closes.
    void on_peer_closed(net::Connection& conn);

    // The fail2ban line for a login refused without a password check (e.g.
    // SASL asking to act as another user).
    static void log_failure(std::string_view protocol, const std::string& client, std::string_view username,
                            std::string_view reason);

private:
    struct Job;
    void on_checked(const Job& job);
    void answer_after(std::chrono::milliseconds delay, Outcome outcome);
    void finish();

    std::string protocol_;
    bool pending_ = false;
    std::weak_ptr<net::Connection> conn_;
    auth::LoginThrottle* throttle_ = nullptr;
    std::chrono::steady_clock::time_point started_;
    std::chrono::milliseconds wait_before_{0};
    Outcome outcome_;
    std::function<void(Outcome)> done_;
    std::unique_ptr<net::EventLoop::Timer> timer_;
    util::Liveness alive_;  // ended by cancel(): results of dropped checks go nowhere
};

// The throttle and hash pool settings of [auth] in pochta.toml.
auth::ThrottleSettings throttle_settings(const Config& config);
auth::HashPoolSettings hash_pool_settings(const Config& config);

}  // namespace pochta::session
