// The steps of judging one message (README.md, "Spam"); see filter.hpp.
#include "spam/filter.hpp"

#include "common/util/log.hpp"
#include "common/util/strings.hpp"
#include "spam/distinct.hpp"

namespace pochta::spam {

struct Filter::Job {
    MessageToJudge message;
    std::function<void(std::vector<UserVerdict>)> done;
    Tokens tokens;
    BlocklistReport blocklists;
    int waiting = 2;   // the first user's profile (read with the tokens) and the blocklists
    SenderFacts sender;
    std::vector<store::SenderKey> sender_keys;
    store::SpamProfile first_profile;   // the first user's
    store::Error first_error;           // ... unless reading it failed
    std::vector<Signal> shared;   // signals that hold for every recipient
    std::vector<UserVerdict> verdicts;
    size_t users_left = 0;
};

namespace {

std::string domain_of(const std::string& address) {
    size_t at = address.rfind('@');
    return at == std::string::npos ? std::string() : to_lower(address.substr(at + 1));
}

std::vector<std::string> blocklist_domains(const MessageToJudge& m) {
    std::vector<std::string> domains;
    add_distinct(domains, domain_of(m.mail_from));
    for (const auto& d : m.verified_domains) add_distinct(domains, to_lower(d));
    return domains;
}

}  // namespace

Filter::Filter(net::EventLoop& loop, dns::Resolver& resolver, store::AsyncStore& store, const Config::Spam& config)
    : loop_(loop), resolver_(resolver), store_(store), config_(config) {}

// The tokens are read on the store worker that then reads the first
// user's counts for them: one thread round trip per message, not two. The
// blocklists are asked meanwhile; the verdicts wait for both.
void Filter::judge(MessageToJudge message, std::function<void(std::vector<UserVerdict>)> done) {
    auto job = std::make_shared<Job>();
    job->message = std::move(message);
    job->done = std::move(done);
    auto step = [this, watch = liveness_.watch(), job] {
        if (!watch.alive() || --job->waiting > 0) return;
        judge_users(job);
    };
    BlocklistQuery query{job->message.client_ip, blocklist_domains(job->message), config_.dnsbl,
                         config_.domain_blocklists};
    if (job->message.users.empty()) {
        --job->waiting;   // nobody to read counts for, no tokens needed
    } else {
        read_first_profile(job, step);
    }
    check_blocklists(resolver_, query, [job, step](BlocklistReport report) {
        job->blocklists = std::move(report);
        step();
    });
}

// On the worker, the job's tokens and sender are written before the
// profile is read, so a store failure still leaves them to judge by.
void Filter::read_first_profile(const std::shared_ptr<Job>& job, std::function<void()> step) {
    const bool reputation = config_.reputation;
    store_.run<store::SpamProfile>(
        [job, reputation](store::Store& store) {
            const MessageToJudge& m = job->message;
            job->tokens = tokenize_message(m.bytes);
            job->sender.address = job->tokens.author.empty() ? to_lower(m.mail_from) : job->tokens.author;
            job->sender.verified_domains = m.verified_domains;
            job->sender.client_ip = m.client_ip;
            if (reputation) job->sender_keys = sender_keys(job->sender);
            return store.spam_profile(m.users.front(), job->tokens.keys, job->sender_keys);
        },
        [job, step = std::move(step)](store::SpamProfile profile, store::Error error) {
            job->message.owner.reset();
            job->message.bytes = {};
            job->first_profile = std::move(profile);
            job->first_error = std::move(error);
            step();
        },
        job->message.users.front());
}

void Filter::judge_users(const std::shared_ptr<Job>& job) {
    const MessageToJudge& m = job->message;
    for (const auto& problem : job->blocklists.problems)
        log::warn("spam queue_id={} blocklist not counted: {}", m.queue_id, problem);
    job->shared = m.signals;
    if (job->tokens.gtube) job->shared.push_back(gtube_signal());
    for (auto& s : blocklist_signals(job->blocklists)) job->shared.push_back(std::move(s));
    job->verdicts.resize(m.users.size());
    job->users_left = m.users.size();
    if (job->users_left == 0) {
        loop_.post([job] { job->done({}); });
        return;
    }
    if (job->first_error) {
        log::warn("spam queue_id={} user={} judged without its history: {}", m.queue_id, m.users.front(),
                  job->first_error.message);
        job->first_profile = {};
    }
    job->verdicts[0] = {m.users.front(),
                        judge_with_profile(config_, m.users.front(), job->sender, job->shared, job->first_profile)};
    if (--job->users_left == 0) return job->done(std::move(job->verdicts));
    for (size_t i = 1; i < m.users.size(); ++i) judge_user(job, i);
}

void Filter::judge_user(const std::shared_ptr<Job>& job, size_t index) {
    const std::string& user = job->message.users[index];
    const Config::Spam* config = &config_;
    store_.run<Verdict>(
        [config, job, user](store::Store& store) {
            store::SpamProfile profile = store.spam_profile(user, job->tokens.keys, job->sender_keys);
            return judge_with_profile(*config, user, job->sender, job->shared, profile);
        },
        [this, watch = liveness_.watch(), job, index](Verdict verdict, store::Error error) {
            if (!watch.alive()) return;
            const std::string& user = job->message.users[index];
            if (error) {
                log::warn("spam queue_id={} user={} judged without its history: {}", job->message.queue_id, user,
                          error.message);
                verdict = judge_with_profile(config_, user, job->sender, job->shared, {});
            }
            job->verdicts[index] = {user, std::move(verdict)};
            if (--job->users_left == 0) job->done(std::move(job->verdicts));
        },
        user);
}

Verdict judge_with_profile(const Config::Spam& config, const std::string& user,
                           const SenderFacts& sender, const std::vector<Signal>& shared,
                           const store::SpamProfile& profile) {
    std::vector<Signal> signals = shared;
    ClassifierOptions options;
    options.min_messages = config.bayes_min_messages;
    for (auto& s : bayes_signals(classify(profile.tokens, profile.corpus, options), config.bayes_weight))
        signals.push_back(std::move(s));
    for (auto& s : reputation_signals(sender, profile.senders)) signals.push_back(std::move(s));
    return decide(std::move(signals), config.thresholds_for(user));
}

}  // namespace pochta::spam
