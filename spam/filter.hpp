// Judging one message that arrived on the MX listener (README.md, "Spam"):
// the tokens are read on a store worker keyed by the first recipient, which
// then reads that user's counts and history; the blocklists are asked
// through the shared resolver meanwhile. Each further recipient's counts
// and history are read (and the classifier run) on a store worker keyed by
// that user; the verdicts come back on the loop, one per recipient.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/config/config.hpp"
#include "common/dns/resolver.hpp"
#include "common/net/loop.hpp"
#include "common/util/liveness.hpp"
#include "spam/reputation.hpp"
#include "spam/tokenizer.hpp"
#include "spam/verdict.hpp"
#include "store/async_store.hpp"

namespace pochta::spam {

struct MessageToJudge {
    std::string queue_id;
    std::string client_ip;
    std::string mail_from;                      // "" for <>
    std::vector<std::string> users;             // canonical local recipients
    std::vector<std::string> verified_domains;  // SPF/DKIM passes (checks on arrival)
    std::vector<Signal> signals;                // signals of the checks on arrival, counted for everyone
    // The message as the client sent it, and what keeps those bytes alive
    // until the tokens are read.
    std::string_view bytes;
    std::shared_ptr<const void> owner;
};

struct UserVerdict {
    std::string user;
    Verdict verdict;
};

class Filter {
public:
    // `config` and the others must outlive the Filter; loop thread only.
    Filter(net::EventLoop& loop, dns::Resolver& resolver, store::AsyncStore& store, const Config::Spam& config);

    // `done` runs on the loop, never inside the call, with one verdict per
    // user in `message.users`. A store failure for a user gives that user
    // the verdict without classifier and history (fail open, logged).
    void judge(MessageToJudge message, std::function<void(std::vector<UserVerdict>)> done);

    const Config::Spam& config() const { return config_; }

private:
    struct Job;
    void read_first_profile(const std::shared_ptr<Job>& job, std::function<void()> step);
    void judge_users(const std::shared_ptr<Job>& job);
    void judge_user(const std::shared_ptr<Job>& job, size_t index);

    net::EventLoop& loop_;
    dns::Resolver& resolver_;
    store::AsyncStore& store_;
    const Config::Spam& config_;
    util::Liveness liveness_;
};

// What one user's verdict is made of, once the store gave the profile: pure.
Verdict judge_with_profile(const Config::Spam& config, const std::string& user,
                           const SenderFacts& sender, const std::vector<Signal>& shared,
                           const store::SpamProfile& profile);

}  // namespace pochta::spam
