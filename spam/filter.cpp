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
    int waiting = 2;   // the tokens and the blocklists
    SenderFacts sender;
    std::vector<store::SenderKey> sender_keys;
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

void Filter::judge(MessageToJudge message, std::function<void(std::vector<UserVerdict>)> done) {
    auto job = std::make_shared<Job>();
    job->message = std::move(message);
    job->done = std::move(done);
    auto step = [this, watch = liveness_.watch(), job] {
        if (!watch.alive() || --job->waiting > 0) return;
        judge_users(job);
    };
    loop_.offload(
        [job] {
            job->tokens = tokenize_message(job->message.bytes);
        },
        [job, step] {
            job->message.owner.reset();
            job->message.bytes = {};
            step();
        });
    BlocklistQuery query{job->message.client_ip, blocklist_domains(job->message), config_.dnsbl,
                         config_.domain_blocklists};
    check_blocklists(resolver_, query, [job, step](BlocklistReport report) {
        job->blocklists = std::move(report);
        step();
    });
}

void Filter::judge_users(const std::shared_ptr<Job>& job) {
    const MessageToJudge& m = job->message;
    for (const auto& problem : job->blocklists.problems)
        log::warn("spam queue_id={} blocklist not counted: {}", m.queue_id, problem);
    job->sender.address = job->tokens.author.empty() ? to_lower(m.mail_from) : job->tokens.author;
    job->sender.verified_domains = m.verified_domains;
    job->sender.client_ip = m.client_ip;
    if (config_.reputation) job->sender_keys = sender_keys(job->sender);
    job->shared = m.signals;
    if (job->tokens.gtube) job->shared.push_back(gtube_signal());
    for (auto& s : blocklist_signals(job->blocklists)) job->shared.push_back(std::move(s));
    job->verdicts.resize(m.users.size());
    job->users_left = m.users.size();
    if (job->users_left == 0) {
        loop_.post([job] { job->done({}); });
        return;
    }
    for (size_t i = 0; i < m.users.size(); ++i) judge_user(job, i);
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
