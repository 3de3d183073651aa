// The queue runner's way out: per destination, resolve where mail goes,
// keep at most `per_destination` connections open, reuse each connection
// for the next waiting job, and fall back to the next host when one fails
// before it said anything about our recipients.
#include <arpa/inet.h>

#include <fmt/format.h>

#include <algorithm>

#include "common/net/connection.hpp"
#include "common/util/log.hpp"
#include "outbound/mx_order.hpp"
#include "outbound/queue_parts.hpp"

namespace pochta::outbound {

namespace {

constexpr size_t max_targets = 20;

bool is_ip(const std::string& host) {
    unsigned char buf[16];
    return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

}  // namespace

QueueRunner::Destination& QueueRunner::destination_for(const std::string& key) {
    auto& slot = destinations_[key];
    if (!slot) {
        slot = std::make_unique<Destination>();
        slot->key = key;
        slot->relay = key == relay_key;
    }
    return *slot;
}

void QueueRunner::pump(Destination& dest) {
    while (!stopping_ && !dest.jobs.empty()) {
        if (!dest.idle.empty()) {
            auto connection = dest.idle.back();
            dest.idle.pop_back();
            connection->idle_timer.reset();
            if (!connection->client.reusable()) {
                close_connection(dest, connection);
                continue;
            }
            Job job = std::move(dest.jobs.front());
            dest.jobs.pop_front();
            run_job(dest, connection, std::move(job));
            continue;
        }
        if (dest.resolving) return;
        if (dest.targets.empty() || std::chrono::steady_clock::now() >= dest.targets_until) return resolve(dest);
        if (!slots_.try_acquire(dest.key)) {
            // All connections in use overall: an idle connection elsewhere gives way.
            if (slots_.in_use() < options_.total_connections) return;
            auto other = std::find_if(destinations_.begin(), destinations_.end(),
                                      [](const auto& d) { return !d.second->idle.empty(); });
            if (other == destinations_.end()) return;
            auto connection = other->second->idle.back();
            other->second->idle.pop_back();
            close_connection(*other->second, connection);
            continue;
        }
        dest.connections++;
        Job job = std::move(dest.jobs.front());
        dest.jobs.pop_front();
        open_connection(dest, std::move(job), 0, "");
    }
}

void QueueRunner::resolve(Destination& dest) {
    dest.resolving = true;
    if (dest.relay) {
        ListenAddress relay;
        try {
            relay = parse_listen_address(options_.relay);
        } catch (const std::exception& e) {
            return route_failed(dest, Outcome::temporary, fmt::format("451 4.3.5 bad relay setting: {}", e.what()));
        }
        return resolve_hosts(dest, {{relay.host, is_ip(relay.host)}}, relay.port);
    }
    if (is_domain_literal(dest.key)) {
        Route route = route_for_literal(dest.key);
        if (route.error != RouteError::none || route.hosts.empty())
            return route_failed(dest, Outcome::permanent, "550 5.1.2 " + route.message);
        return resolve_hosts(dest, {{route.hosts.front().host, true}}, options_.smtp_port);
    }
    auto alive = liveness_.watch();
    resolver_.resolve_mx(dest.key, [this, alive, key = dest.key](dns::MxResult mx) {
        if (!alive) return;
        Destination& dest = destination_for(key);
        switch (mx.error) {
            case dns::Error::temporary:
                return route_failed(dest, Outcome::temporary,
                                    fmt::format("451 4.4.3 DNS lookup of MX for {} failed: {}", key, mx.message));
            case dns::Error::nxdomain:
            case dns::Error::bad_name:
                return route_failed(dest, Outcome::permanent,
                                    fmt::format("550 5.1.2 Host or domain name not found: {} ({})", key,
                                                dns::error_name(mx.error)));
            case dns::Error::nodata:
            case dns::Error::none: break;
        }
        Route route = mx.records.empty() ? route_without_mx(key) : order_mx(key, std::move(mx.records), rng_);
        if (route.error != RouteError::none)
            return route_failed(dest, Outcome::permanent, fmt::format("556 5.1.10 {}", route.message));
        std::vector<std::pair<std::string, bool>> hosts;
        for (const auto& h : route.hosts) hosts.emplace_back(h.host, h.literal);
        resolve_hosts(dest, std::move(hosts), options_.smtp_port);
    });
}

// Looks up every host at once; the targets keep the hosts' order.
void QueueRunner::resolve_hosts(Destination& dest, std::vector<std::pair<std::string, bool>> hosts, uint16_t port) {
    struct Lookup {
        std::vector<std::pair<std::string, bool>> hosts;
        std::vector<dns::AddressResult> results;
        size_t remaining = 0;
        uint16_t port = 0;
    };
    auto lookup = std::make_shared<Lookup>();
    lookup->hosts = std::move(hosts);
    lookup->results.resize(lookup->hosts.size());
    lookup->remaining = lookup->hosts.size();
    lookup->port = port;
    auto complete = [this, lookup, key = dest.key] {
        Destination& dest = destination_for(key);
        std::vector<Target> targets;
        bool temporary = false;
        std::string why;
        for (size_t i = 0; i < lookup->hosts.size(); i++) {
            const auto& result = lookup->results[i];
            if (result.error == dns::Error::temporary) temporary = true;
            if (result.error != dns::Error::none && why.empty()) why = lookup->hosts[i].first + ": " + result.message;
            for (auto& ip : order_addresses(result))
                if (targets.size() < max_targets) targets.push_back(Target{lookup->hosts[i].first, ip, lookup->port});
        }
        if (targets.empty())
            return route_failed(dest, temporary ? Outcome::temporary : Outcome::permanent,
                                fmt::format("{} No address for the mail host(s) of {}: {}",
                                            temporary ? "451 4.4.3" : "550 5.4.4", dest.relay ? options_.relay : key,
                                            why));
        dest.resolving = false;
        dest.targets = std::move(targets);
        dest.targets_until = std::chrono::steady_clock::now() + options_.route_ttl;
        pump(dest);
    };
    auto alive = liveness_.watch();
    for (size_t i = 0; i < lookup->hosts.size(); i++) {
        const auto& [host, literal] = lookup->hosts[i];
        if (literal || is_ip(host)) {
            (host.find(':') != std::string::npos ? lookup->results[i].ipv6 : lookup->results[i].ipv4).push_back(host);
            lookup->remaining--;
            continue;
        }
        resolver_.resolve_addresses(host, [alive, lookup, i, complete](dns::AddressResult result) {
            if (!alive) return;
            lookup->results[i] = std::move(result);
            if (--lookup->remaining == 0) complete();
        });
    }
    if (lookup->remaining == 0) complete();
}

void QueueRunner::route_failed(Destination& dest, Outcome outcome, const std::string& reason) {
    dest.resolving = false;
    log::info("queue: no route to {}: {}", dest.relay ? options_.relay : dest.key, reason);
    fail_queued(dest, outcome, reason, "none");
}

void QueueRunner::fail_queued(Destination& dest, Outcome outcome, const std::string& reason, const std::string& relay) {
    auto jobs = std::move(dest.jobs);
    dest.jobs.clear();
    for (const auto& job : jobs) fail_job(job, outcome, reason, relay);
}

void QueueRunner::fail_job(const Job& job, Outcome outcome, const std::string& reason, const std::string& relay) {
    std::vector<RecipientReport> reports;
    const auto arrival = Clock::time_point(std::chrono::seconds(job.entry->message.created));
    for (const auto& rcpt : job.rcpts) {
        log_delivery_attempt(job.entry->message.id, RecipientResult{rcpt, outcome, reason, false}, relay, "", arrival);
        reports.push_back({rcpt, outcome, reason, ""});
    }
    job_finished(job.entry, std::move(reports));
}

OutboundMessage QueueRunner::outbound(const Job& job) const {
    const auto& m = job.entry->message;
    OutboundMessage out;
    out.queue_id = m.id;
    out.from = m.envelope_from;
    out.recipients = job.rcpts;
    out.data = job.entry->data;
    out.eight_bit = job.entry->needs.eight_bit;
    out.smtputf8 = job.entry->needs.smtputf8;
    out.arrival = Clock::time_point(std::chrono::seconds(m.created));
    return out;
}

// Holds a slot of `dest` already; tries the targets from `target_index` on.
void QueueRunner::open_connection(Destination& dest, Job job, size_t target_index, std::string last_error) {
    if (stopping_ || target_index >= dest.targets.size() || job.tries > dest.targets.size()) {
        if (last_error.empty()) last_error = "451 4.4.1 No mail host could be reached";
        release_slot(dest);
        fail_job(job, Outcome::temporary, last_error, "none");
        // Nothing of this destination answers: the jobs waiting for it
        // need not each find that out again.
        if (dest.connections == 0) fail_queued(dest, Outcome::temporary, last_error, "none");
        return pump(dest);
    }
    const Target target = dest.targets[target_index];
    auto alive = liveness_.watch();
    net::Connection::connect(
        loop_, target.ip, target.port, options_.connect_timeout,
        [this, alive, key = dest.key, job, target, target_index](std::shared_ptr<net::Connection> conn,
                                                                 std::string error) mutable {
            if (!alive) return;
            Destination& dest = destination_for(key);
            if (!conn) {
                std::string why = fmt::format("451 4.4.1 connect to {}[{}]:{}: {}", target.host, target.ip,
                                              target.port, error);
                log::info("queue {}: {}", job.entry->message.id, why);
                return open_connection(dest, std::move(job), target_index + 1, std::move(why));
            }
            auto connection = std::make_shared<DestinationConnection>();
            connection->target = target;
            connection->target_index = target_index;
            SmtpClientOptions options;
            options.helo_name = options_.hostname;
            options.remote_host = target.host;
            options.tls = tls_;
            if (dest.relay) options.auth = options_.relay_auth;
            options.timeouts = options_.timeouts;
            auto report = [this, alive, key, connection, job](TransactionResult r) {
                if (alive) on_transaction(destination_for(key), connection, job, std::move(r));
            };
            connection->client = SmtpClient::start(conn, std::move(options), outbound(job), std::move(report));
        });
}

void QueueRunner::run_job(Destination& dest, const std::shared_ptr<DestinationConnection>& connection, Job job) {
    auto alive = liveness_.watch();
    connection->client.send(outbound(job), [this, alive, key = dest.key, connection, job](TransactionResult r) {
        if (alive) on_transaction(destination_for(key), connection, job, std::move(r));
    });
}

void QueueRunner::on_transaction(Destination& dest, const std::shared_ptr<DestinationConnection>& connection, Job job,
                                 TransactionResult result) {
    const bool answered = std::any_of(result.recipients.begin(), result.recipients.end(),
                                      [](const RecipientResult& r) { return r.remote; });
    if (!result.session_error.empty() && !answered && !stopping_) {
        // Nothing was said about these recipients: another host (or, when a
        // reused connection had gone stale, a fresh connection) may take them.
        // The connection's slot passes on to the next try.
        job.tries++;
        connection->client.quit();
        const size_t next = connection->used ? 0 : connection->target_index + 1;
        const std::string& host = result.relay.empty() ? connection->target.host : result.relay;
        return open_connection(dest, std::move(job), next, fmt::format("451 4.4.2 {}: {}", host, result.session_error));
    }
    std::vector<RecipientReport> reports;
    for (auto& r : result.recipients)
        reports.push_back({r.recipient, r.outcome, std::move(r.reply), r.remote ? connection->target.host : ""});
    job_finished(job.entry, std::move(reports));
    if (result.reusable && connection->client.reusable()) {
        connection->used = true;
        connection_free(dest, connection);
    } else {
        close_connection(dest, connection);
    }
}

void QueueRunner::connection_free(Destination& dest, const std::shared_ptr<DestinationConnection>& connection) {
    if (stopping_) return close_connection(dest, connection);
    if (!dest.jobs.empty()) {
        Job job = std::move(dest.jobs.front());
        dest.jobs.pop_front();
        return run_job(dest, connection, std::move(job));
    }
    auto alive = liveness_.watch();
    std::weak_ptr<DestinationConnection> weak = connection;
    connection->idle_timer = loop_.start_timer(options_.idle_keep, [this, alive, weak, key = dest.key] {
        auto connection = weak.lock();
        if (!alive || !connection) return;
        Destination& dest = destination_for(key);
        auto it = std::find(dest.idle.begin(), dest.idle.end(), connection);
        if (it == dest.idle.end()) return;
        dest.idle.erase(it);
        close_connection(dest, connection);
    });
    dest.idle.push_back(connection);
}

void QueueRunner::close_connection(Destination& dest, const std::shared_ptr<DestinationConnection>& connection) {
    connection->idle_timer.reset();
    connection->client.quit();
    release_slot(dest);
    pump(dest);
}

void QueueRunner::release_slot(Destination& dest) {
    if (dest.connections == 0) return;
    dest.connections--;
    const bool was_full = slots_.in_use() >= options_.total_connections;
    slots_.release(dest.key);
    if (!was_full || stopping_) return;
    // A slot came free after all were taken: someone else may be waiting.
    for (auto& [key, other] : destinations_)
        if (other.get() != &dest && !other->jobs.empty() && !other->resolving) {
            pump(*other);
            if (slots_.in_use() >= options_.total_connections) break;
        }
}

}  // namespace pochta::outbound
