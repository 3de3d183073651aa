#include "common/session/login.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <iterator>
#include <utility>

#include "common/metrics/pochta_metrics.hpp"
#include "common/util/log.hpp"

namespace pochta::session {

struct Login::Job {
    auth::PasswordCheck check;
    std::string client;  // the peer's address, for the log
    std::string key;     // client_key(client), for the throttle
    std::string username, password, user;
};

namespace {

// Whom the throttle and the hash pool count: an IPv4 address, or the /64 an
// IPv6 address is in (one subscriber's whole network, which an attacker
// gets as easily as one address).
std::string client_key(const std::string& ip) {
    in6_addr v6{};
    if (ip.find(':') == std::string::npos || inet_pton(AF_INET6, ip.c_str(), &v6) != 1) return ip;
    std::fill(std::begin(v6.s6_addr) + 8, std::end(v6.s6_addr), 0);
    char text[INET6_ADDRSTRLEN];
    if (!inet_ntop(AF_INET6, &v6, text, sizeof text)) return ip;
    return std::string(text) + "/64";
}

}  // namespace

Login::~Login() = default;

void Login::log_failure(std::string_view protocol, const std::string& client, std::string_view username,
                        std::string_view reason) {
    log::info("auth failed protocol={} client={} user={} reason={}", protocol, client, log::quoted(username), reason);
    metrics::auth_failures(protocol).inc();
}

void Login::check(net::Connection& conn, const LoginServices& services, std::string username, std::string password,
                  std::function<void(Outcome)> done) {
    cancel();
    pending_ = true;
    conn_ = conn.shared_from_this();
    throttle_ = &services.throttle;
    done_ = std::move(done);
    started_ = std::chrono::steady_clock::now();
    const std::string& client = conn.peer_ip();
    std::string key = client_key(client);
    if (services.throttle.banned(key, started_)) {
        log_failure(protocol_, client, username, "banned");
        return answer_after(std::chrono::milliseconds(0), {Result::banned, {}});
    }
    // Also before a success: a client that gives up on a slow answer and
    // tries again gains nothing.
    wait_before_ = services.throttle.delay(key, username, started_);
    auto job = std::make_shared<Job>(Job{services.check, client, key, std::move(username), std::move(password), {}});
    auto watch = alive_.watch();
    bool queued = services.pool.submit(
        key, [watch] { return watch.alive(); },
        [job, watch, this, &loop = conn.loop()] {
            job->user = job->check(job->username, job->password);
            job->password.clear();
            loop.post([job, watch, this] {
                if (watch.alive()) on_checked(*job);
            });
        });
    if (!queued) {
        log::warn("auth deferred protocol={} client={} user={} reason=hash-queue-full", protocol_, client,
                  log::quoted(job->username));
        answer_after(std::chrono::milliseconds(0), {Result::unavailable, {}});
    }
}

void Login::on_checked(const Job& job) {
    auto now = std::chrono::steady_clock::now();
    auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(now - started_);
    if (!job.user.empty()) {
        throttle_->record_success(job.key, job.username);
        // From here the connection counts for its user, not its address.
        auto conn = conn_.lock();
        Result result = conn && conn->mark_authenticated(job.user) ? Result::accepted : Result::too_many_connections;
        if (result == Result::accepted) metrics::logins(protocol_).inc();
        return answer_after(std::max(wait_before_ - elapsed, std::chrono::milliseconds(0)), {result, job.user});
    }
    log_failure(protocol_, job.client, job.username, "credentials");
    auto failure = throttle_->record_failure(job.key, job.username, now);
    if (failure.ban_started)
        log::warn("auth banned client={} failures={} for={}s", job.key, throttle_->failures(job.key, now),
                  throttle_->settings().ban_time.count());
    auto wait = std::max(wait_before_, failure.delay) - elapsed;
    answer_after(std::max(wait, std::chrono::milliseconds(0)), {Result::refused, {}});
}

void Login::answer_after(std::chrono::milliseconds delay, Outcome outcome) {
    auto conn = conn_.lock();
    if (!conn) return cancel();
    outcome_ = std::move(outcome);
    timer_ = conn->loop().start_timer(delay, [this] { finish(); });
}

void Login::finish() {
    pending_ = false;
    auto done = std::exchange(done_, nullptr);
    auto conn = conn_.lock();
    if (!conn || conn->closing() || !done) return;
    done(std::move(outcome_));
}

void Login::cancel() {
    alive_.end();
    // The timer may be the one running this (a new check from inside done):
    // Timer's destructor is safe from inside its callback.
    timer_.reset();
    pending_ = false;
    done_ = nullptr;
}

void Login::on_peer_closed(net::Connection& conn) {
    if (!pending_) return;
    cancel();
    conn.close();
}

auth::ThrottleSettings throttle_settings(const Config& config) {
    auth::ThrottleSettings s;
    s.max_delay = config.auth.max_delay;
    s.account_delay_after = config.auth.account_delay_after;
    s.ban_after = config.auth.ban_after;
    s.ban_time = config.auth.ban_time;
    return s;
}

auth::HashPoolSettings hash_pool_settings(const Config& config) {
    auth::HashPoolSettings s;
    s.threads = config.auth.hash_threads;
    s.max_queued = config.auth.hash_queue;
    s.per_client = config.auth.hash_per_address;
    return s;
}

}  // namespace pochta::session
