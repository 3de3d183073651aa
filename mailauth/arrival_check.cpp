#include "mailauth/arrival_check.hpp"

#include <utility>

#include "common/mime/header.hpp"

namespace pochta::mailauth {

std::shared_ptr<ArrivalCheck> ArrivalCheck::start(net::EventLoop& loop, dns::Resolver& resolver, SpfRequest request) {
    std::shared_ptr<ArrivalCheck> check(new ArrivalCheck(loop, resolver));
    SpfIdentity identity = request.sender.empty() ? SpfIdentity::helo : SpfIdentity::mailfrom;
    check->report_.facts.spf_identity = identity;
    check->report_.facts.spf_subject = identity == SpfIdentity::mailfrom ? request.sender : request.helo;
    if (identity == SpfIdentity::mailfrom && !request.helo.empty()) {
        check->report_.facts.helo = request.helo;
        check->helo_pending_ = true;
        check_spf(resolver, request, SpfIdentity::helo, [check](SpfOutcome outcome) {
            check->report_.facts.helo_spf = std::move(outcome);
            check->helo_pending_ = false;
            check->maybe_judge();
        });
    }
    check_spf(resolver, std::move(request), identity, [check](SpfOutcome outcome) {
        check->spf_ = std::move(outcome);
        check->maybe_judge();
    });
    return check;
}

void ArrivalCheck::examine(MessageBytes message, std::string authserv_id,
                           std::function<bool(std::string_view)> is_local, std::function<void(ArrivalReport)> done) {
    is_local_ = std::move(is_local);
    done_ = std::move(done);
    struct Work {
        std::shared_ptr<DkimChecks> dkim;
        Author author;
        std::vector<size_t> claimed;
    };
    auto work = std::make_shared<Work>();
    auto self = shared_from_this();
    const bool large = message.bytes.size() > inline_limit;
    auto prepare = [work, message = std::move(message), authserv_id = std::move(authserv_id)] {
        work->dkim = prepare_dkim(message.bytes);
        std::string_view header = message.bytes.substr(0, mime::find_header_end(message.bytes, 0, message.bytes.size()));
        work->author = find_author(header);
        work->claimed = find_claimed_auth_results(header, authserv_id);
    };
    auto prepared = [self, work] {
        self->report_.facts.author = std::move(work->author);
        self->report_.claimed_auth_results = std::move(work->claimed);
        self->on_prepared(std::move(work->dkim));
    };
    // Hashing a small message takes less than the round trip to a worker
    // and back (two thread wake-ups): only large ones leave the loop.
    if (large) return loop_.offload(std::move(prepare), std::move(prepared));
    prepare();
    prepared();
}

void ArrivalCheck::on_prepared(std::shared_ptr<DkimChecks> dkim) {
    auto self = shared_from_this();
    if (!dkim) {  // the worker failed (logged by the loop): judged as unsigned
        dkim_.emplace();
        return maybe_judge();
    }
    verify_dkim(resolver_, std::move(dkim), [self](std::vector<DkimVerdict> verdicts) {
        self->dkim_ = std::move(verdicts);
        self->maybe_judge();
    });
}

void ArrivalCheck::maybe_judge() {
    if (!spf_ || helo_pending_ || !dkim_ || !done_) return;
    ArrivalFacts& facts = report_.facts;
    facts.spf = std::move(*spf_);
    facts.dkim = std::move(*dkim_);
    spf_.reset();
    dkim_.reset();
    if (facts.author.status != AuthorStatus::one_domain) {
        facts.dmarc = DmarcOutcome{};
        return std::exchange(done_, nullptr)(std::move(report_));
    }
    facts.local_author = is_local_(facts.author.domain);
    DmarcInputs inputs{facts.author.domain, facts.spf.result == SpfResult::pass, facts.spf.domain, {}};
    for (const auto& v : facts.dkim)
        if (v.result == DkimResult::pass) inputs.dkim_pass_domains.push_back(v.domain);
    auto self = shared_from_this();
    check_dmarc(resolver_, std::move(inputs), [self](DmarcOutcome outcome) {
        self->report_.facts.dmarc = std::move(outcome);
        std::exchange(self->done_, nullptr)(std::move(self->report_));
    });
}

}  // namespace pochta::mailauth
