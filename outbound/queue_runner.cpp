#include "outbound/queue_runner.hpp"

#include <fstream>
#include <map>
#include <stdexcept>

#include "common/metrics/pochta_metrics.hpp"
#include "common/util/log.hpp"
#include "outbound/dsn.hpp"
#include "outbound/queue_parts.hpp"

namespace pochta::outbound {

namespace {

// README.md, "Autoconfig, MTA-STS and metrics": each recipient of an
// attempt, once, when the attempt is over.
void count_outcomes(const store::QueueUpdate& update) {
    static metrics::Counter& delivered = metrics::messages_delivered("remote");
    static metrics::Counter& deferred = metrics::messages_deferred();
    static metrics::Counter& bounced = metrics::messages_bounced();
    for (const auto& rcpt : update.rcpts) {
        switch (rcpt.state) {
            case store::RcptOutcome::State::delivered: delivered.inc(); break;
            case store::RcptOutcome::State::deferred: deferred.inc(); break;
            case store::RcptOutcome::State::failed: bounced.inc(); break;
        }
    }
}

int64_t unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(Clock::now().time_since_epoch()).count();
}

std::string read_first_line(const std::filesystem::path& file) {
    std::ifstream in(file);
    std::string line;
    if (!in || !std::getline(in, line)) throw std::runtime_error("cannot read " + file.string());
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return line;
}

template <typename Duration>
Duration at_most(Duration value, std::chrono::seconds bound) {
    return std::min(value, std::chrono::duration_cast<Duration>(bound));
}

}  // namespace

QueueRunnerOptions queue_runner_options(const Config& config, auth::Directory& directory) {
    const auto& d = config.delivery;
    QueueRunnerOptions o;
    o.hostname = config.hostname;
    o.relay = d.relay;
    o.smtp_port = d.smtp_port;
    if (!d.retry_schedule.empty()) o.schedule = RetrySchedule(d.retry_schedule);
    o.max_queue_time = d.max_queue_time;
    o.per_destination = d.max_connections_per_domain;
    o.total_connections = d.max_connections;
    if (!d.relay.empty() && !d.relay_user.empty())
        o.relay_auth = RelayCredentials{d.relay_user, read_first_line(d.relay_password_file)};
    auto& t = o.timeouts;
    for (auto* timeout : {&t.greeting, &t.command, &t.mail, &t.rcpt, &t.data_init, &t.data_block, &t.data_final})
        *timeout = at_most(*timeout, d.smtp_timeout);
    o.connect_timeout = at_most(o.connect_timeout, d.smtp_timeout);
    o.bounce_route.is_local_domain = [&config](std::string_view domain) { return config.is_local_domain(domain); };
    o.bounce_route.resolve_local = [&directory](std::string_view address) {
        return directory.current()->resolve(address);
    };
    return o;
}

QueueRunner::QueueRunner(net::EventLoop& loop, store::AsyncStore& store, dns::Resolver& resolver,
                         QueueRunnerOptions options)
    : loop_(loop),
      store_(store),
      resolver_(resolver),
      options_(std::move(options)),
      tls_(net::TlsContext::client()),
      slots_(options_.per_destination, options_.total_connections) {}

QueueRunner::~QueueRunner() {
    liveness_.end();   // also for what the QUITs below may report
    store_.store().set_queue_listener(nullptr);
    // SMTP clients still running live on with their connections (which own
    // them); their results are not recorded, so those recipients are tried
    // again next time.
    for (auto& [key, dest] : destinations_)
        for (auto& connection : dest->idle) connection->client.quit();
}

void QueueRunner::start() {
    auto alive = liveness_.watch();
    net::EventLoop* loop = &loop_;
    // Runs on the store's writer thread: it only posts; the watch is checked on the loop.
    store_.store().set_queue_listener([loop, alive, this] {
        loop->post([alive, this] {
            if (alive) wake();
        });
    });
    poll_timer_ = loop_.start_repeating(options_.poll_period, [this] {
        // Forget destinations nobody uses, so the map does not grow forever.
        const auto now = std::chrono::steady_clock::now();
        std::erase_if(destinations_, [now](const auto& item) {
            const Destination& d = *item.second;
            return d.jobs.empty() && d.idle.empty() && d.connections == 0 && !d.resolving && now >= d.targets_until;
        });
        wake();
    });
    log::info("queue: runner started ({})", options_.relay.empty() ? "delivery by MX" : "relay " + options_.relay);
    wake();
}

void QueueRunner::stop() {
    stopping_ = true;
    poll_timer_.reset();
    for (auto& [key, dest] : destinations_) {
        auto idle = std::move(dest->idle);
        dest->idle.clear();
        for (auto& connection : idle) close_connection(*dest, connection);
    }
}

void QueueRunner::wake() {
    if (stopping_) return;
    if (fetching_) {
        fetch_again_ = true;
        return;
    }
    fetch();
}

void QueueRunner::fetch() {
    fetch_again_ = false;
    // Message data in flight stays under about twice max_fetch_bytes (a
    // fetch takes at least one entry): the copies of a large list post
    // are loaded a few at a time, not all at once.
    size_t held = 0;
    for (const auto& [id, entry] : entries_) held += entry->data->size();
    if (entries_.size() >= options_.max_in_flight || held >= options_.max_fetch_bytes) {
        more_due_ = true;  // looked at again when entries finish
        return;
    }
    fetching_ = true;
    std::vector<std::string> skip;
    skip.reserve(entries_.size());
    for (const auto& [id, entry] : entries_) skip.push_back(id);
    const size_t room = options_.max_in_flight - entries_.size();
    const size_t bytes = options_.max_fetch_bytes - held;
    const int64_t now = unix_now();
    auto alive = liveness_.watch();
    store_.run<std::vector<store::QueuedMessage>>(
        [now, room, bytes, skip = std::move(skip)](store::Store& s) { return s.due_queue(now, room, bytes, skip); },
        [this, alive, room, bytes](std::vector<store::QueuedMessage> messages, store::Error error) {
            if (!alive) return;
            fetching_ = false;
            size_t total = 0;
            for (const auto& m : messages) total += m.data.size();
            more_due_ = messages.size() >= room || total >= bytes;
            on_fetched(std::move(messages), error.message);
        });
}

void QueueRunner::on_fetched(std::vector<store::QueuedMessage> messages, const std::string& error) {
    if (!error.empty()) log::error("queue: reading due entries failed: {}", error);
    std::vector<std::shared_ptr<Entry>> fetched;
    for (auto& message : messages) {
        if (stopping_ || entries_.count(message.id)) continue;
        auto entry = std::make_shared<Entry>();
        entry->data = std::make_shared<const std::string>(std::move(message.data));
        message.data.clear();
        entry->message = std::move(message);
        fetched.push_back(std::move(entry));
    }
    sign_and_dispatch(std::move(fetched));
    if (error.empty() && (fetch_again_ || more_due_)) wake();
}

void QueueRunner::dispatch(std::shared_ptr<Entry> entry) {
    const auto& m = entry->message;
    entries_[m.id] = entry;
    if (is_mail_loop(*entry->data)) {
        log::warn("queue {}: mail loop (more than {} Received fields), bouncing", m.id, max_received_hops);
        std::vector<RecipientReport> reports;
        for (const auto& rcpt : m.rcpts)
            reports.push_back({rcpt, Outcome::permanent, "554 5.4.6 Mail loop: too many Received header fields", ""});
        entry->open_jobs = 1;
        return job_finished(entry, std::move(reports));
    }
    entry->needs = analyze_message(m.envelope_from, m.rcpts, *entry->data);
    std::map<std::string, std::vector<std::string>> groups;
    std::vector<RecipientReport> unroutable;
    for (const auto& rcpt : m.rcpts) {
        std::string domain = recipient_domain(rcpt);
        if (!options_.relay.empty())
            groups[relay_key].push_back(rcpt);
        else if (domain.empty())
            unroutable.push_back({rcpt, Outcome::permanent, "550 5.1.3 Recipient address has no domain", ""});
        else
            groups[domain].push_back(rcpt);
    }
    entry->open_jobs = groups.size() + (unroutable.empty() ? 0 : 1);
    if (entry->open_jobs == 0) {  // nothing left to send: the entry goes
        entry->open_jobs = 1;
        return job_finished(entry, {});
    }
    if (!unroutable.empty()) job_finished(entry, std::move(unroutable));
    for (auto& [key, rcpts] : groups) {
        Destination& dest = destination_for(key);
        dest.jobs.push_back(Job{entry, std::move(rcpts), 0});
        pump(dest);
    }
}

void QueueRunner::job_finished(const std::shared_ptr<Entry>& entry, std::vector<RecipientReport> reports) {
    if (--entry->open_jobs > 0) {
        // Other destinations are still under way: make this one's 250s
        // durable now, so that a crash meanwhile cannot send them twice.
        store::QueueUpdate delivered;
        delivered.id = entry->message.id;
        for (const auto& r : reports)
            if (r.outcome == Outcome::delivered)
                delivered.rcpts.push_back({r.rcpt, store::RcptOutcome::State::delivered, r.reply});
        if (!delivered.rcpts.empty()) record(std::move(delivered), nullptr);
        for (auto& r : reports) entry->reports.push_back(std::move(r));
        return;
    }
    for (auto& r : reports) entry->reports.push_back(std::move(r));
    finish_entry(entry);
}

void QueueRunner::finish_entry(const std::shared_ptr<Entry>& entry) {
    AttemptDecision decision =
        decide_attempt(entry->message, entry->reports, Clock::now(), options_.schedule, options_.max_queue_time);
    count_outcomes(decision.update);
    if (!decision.failed.empty()) {
        store::QueuedMessage original = entry->message;
        original.data = *entry->data;
        decision.update.bounce = make_bounce(original, decision.failed, options_.hostname, options_.bounce_route);
        if (decision.update.bounce)
            log::info("queue {}: {} recipient(s) failed, bounce {} to <{}>", original.id, decision.failed.size(),
                      decision.update.bounce->queue_id, original.envelope_from);
    }
    record(std::move(decision.update), entry);
}

void QueueRunner::record(store::QueueUpdate update, std::shared_ptr<Entry> done_entry) {
    pending_writes_.emplace_back(std::move(update), std::move(done_entry));
    write_pending();
}

// One write at a time; what arrives meanwhile shares the next one (and
// its fsync), so a busy queue does not pay one commit per message.
void QueueRunner::write_pending() {
    if (writing_ || pending_writes_.empty()) return;
    writing_ = true;
    auto batch = std::make_shared<std::vector<std::pair<store::QueueUpdate, std::shared_ptr<Entry>>>>(
        std::move(pending_writes_));
    pending_writes_.clear();
    std::vector<store::QueueUpdate> updates;
    updates.reserve(batch->size());
    for (auto& item : *batch) updates.push_back(std::move(item.first));
    auto alive = liveness_.watch();
    store_.run<std::vector<bool>>(
        [updates = std::move(updates)](store::Store& s) { return s.update_queue(updates); },
        [this, alive, batch](std::vector<bool>, store::Error error) {
            if (!alive) return;
            writing_ = false;
            // On failure the entries stay due in the store and are tried
            // again; recipients that got a 250 may then get the mail twice,
            // which is still better than losing it.
            if (!error.empty()) log::error("queue: recording delivery results failed: {}", error);
            for (auto& item : *batch)
                if (item.second) entries_.erase(item.second->message.id);
            write_pending();
            if (more_due_) wake();
        });
}

}  // namespace pochta::outbound
