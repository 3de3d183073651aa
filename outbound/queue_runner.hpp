// The queue runner: takes due entries from the store's outbound queue,
// routes each recipient (the relay, or the domain's MX hosts), carries the
// message over reused, pipelined SMTP connections with a limit of
// connections per destination, and writes every attempt's outcome back in
// one store write (delivered recipients are never sent to again; failures
// bounce once; the rest waits for the retry schedule). Loop thread only;
// every store call goes through AsyncStore.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "common/config/config.hpp"
#include "common/dns/resolver.hpp"
#include "common/net/loop.hpp"
#include "common/net/tls.hpp"
#include "common/util/liveness.hpp"
#include "mailauth/dkim_sign.hpp"
#include "outbound/smtp_client.hpp"
#include "outbound/smtp_client_data.hpp"
#include "outbound/queue_outcome.hpp"
#include "outbound/retry.hpp"
#include "store/async_store.hpp"

namespace pochta::outbound {

struct QueueRunnerOptions {
    std::string hostname;                       // EHLO and the bounces' reporting MTA
    std::string relay;                          // "host:port"; "" = by MX
    uint16_t smtp_port = 25;
    std::optional<RelayCredentials> relay_auth;
    RetrySchedule schedule;
    std::chrono::seconds max_queue_time{5 * 24 * 3600};
    size_t per_destination = 5;
    size_t total_connections = 100;
    SmtpClientTimeouts timeouts;
    std::chrono::milliseconds connect_timeout{30000};
    std::chrono::milliseconds poll_period{2000};   // how soon a `queue flush` or a due retry is seen
    std::chrono::milliseconds idle_keep{5000};     // an idle connection waits this long for more mail
    std::chrono::seconds route_ttl{60};            // resolved hosts are reused this long
    size_t max_in_flight = 5000;                   // queue entries held in memory at once
    size_t max_fetch_bytes = 64 * 1024 * 1024;     // message data loaded per fetch
    BounceRoute bounce_route;
    std::shared_ptr<mailauth::DkimSigner> dkim_signer;   // null = nothing is signed
};

// From the configuration; the relay password is read here (first line of
// relay_password_file). Throws std::runtime_error when it cannot be read.
QueueRunnerOptions queue_runner_options(const Config& config, auth::Directory& directory);

class QueueRunner {
public:
    // Throws std::runtime_error when the resolver cannot start.
    // `resolver` (shared with the checks on arrival, so both use one cache)
    // must outlive the runner.
    QueueRunner(net::EventLoop& loop, store::AsyncStore& store, dns::Resolver& resolver, QueueRunnerOptions options);
    ~QueueRunner();
    QueueRunner(const QueueRunner&) = delete;
    QueueRunner& operator=(const QueueRunner&) = delete;

    // Starts the periodic check and listens for new queue entries.
    void start();
    // Looks for due entries now (coalesced with a look already under way).
    void wake();
    // No new attempts; idle connections say QUIT. Attempts under way finish
    // and are recorded if the loop keeps running long enough.
    void stop();

    size_t in_flight() const { return entries_.size(); }
    size_t connections() const { return slots_.in_use(); }

private:
    struct Entry;
    struct Job;
    struct Target;
    struct DestinationConnection;
    struct Destination;

    // queue_runner.cpp: fetching and recording
    void fetch();
    void on_fetched(std::vector<store::QueuedMessage> messages, const std::string& error);
    void dispatch(std::shared_ptr<Entry> entry);
    void sign_and_dispatch(std::vector<std::shared_ptr<Entry>> entries);   // dkim_signing.cpp
    void sign_group(std::shared_ptr<std::vector<std::shared_ptr<Entry>>> group);
    void job_finished(const std::shared_ptr<Entry>& entry, std::vector<RecipientReport> reports);
    void finish_entry(const std::shared_ptr<Entry>& entry);
    void record(store::QueueUpdate update, std::shared_ptr<Entry> done_entry);
    void write_pending();

    // queue_dispatch.cpp: destinations, routes and connections
    Destination& destination_for(const std::string& key);
    void pump(Destination& dest);
    void resolve(Destination& dest);
    void resolve_hosts(Destination& dest, std::vector<std::pair<std::string, bool>> hosts, uint16_t port);
    void route_failed(Destination& dest, Outcome outcome, const std::string& reason);
    void fail_queued(Destination& dest, Outcome outcome, const std::string& reason, const std::string& relay);
    void open_connection(Destination& dest, Job job, size_t target_index, std::string last_error);
    void release_slot(Destination& dest);
    void run_job(Destination& dest, const std::shared_ptr<DestinationConnection>& connection, Job job);
    void on_transaction(Destination& dest, const std::shared_ptr<DestinationConnection>& connection, Job job,
                        TransactionResult result);
    void connection_free(Destination& dest, const std::shared_ptr<DestinationConnection>& connection);
    void close_connection(Destination& dest, const std::shared_ptr<DestinationConnection>& connection);
    OutboundMessage outbound(const Job& job) const;
    void fail_job(const Job& job, Outcome outcome, const std::string& reason, const std::string& relay);

    net::EventLoop& loop_;
    store::AsyncStore& store_;
    dns::Resolver& resolver_;
    QueueRunnerOptions options_;
    std::shared_ptr<net::TlsContext> tls_;
    std::mt19937_64 rng_{std::random_device{}()};
    DestinationSlots slots_;
    std::unique_ptr<net::EventLoop::Timer> poll_timer_;
    std::map<std::string, std::shared_ptr<Entry>> entries_;    // in flight, by queue id
    std::map<std::string, std::unique_ptr<Destination>> destinations_;
    bool fetching_ = false, fetch_again_ = false, more_due_ = false, stopping_ = false;
    // Outcomes waiting for the store; written together while one write runs.
    std::vector<std::pair<store::QueueUpdate, std::shared_ptr<Entry>>> pending_writes_;
    bool writing_ = false;
    // Store results, DNS answers, connects and timers that finish after the
    // runner is gone check this first.
    util::Liveness liveness_;
};

}  // namespace pochta::outbound
