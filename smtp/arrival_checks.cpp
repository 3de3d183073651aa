#include "smtp/arrival_checks.hpp"

#include <fmt/format.h>

#include "common/util/log.hpp"
#include "mailauth/auth_results.hpp"
#include "smtp/session.hpp"
#include "store/spool.hpp"

namespace pochta::smtp {

mailauth::ArrivalPolicy arrival_policy(const Config::Checks& checks) {
    return mailauth::ArrivalPolicy{.dmarc_reject = checks.dmarc_reject,
                                   .dmarc_quarantine = checks.dmarc_quarantine,
                                   .spf_reject = checks.spf_reject,
                                   .local_from = checks.local_from};
}

std::vector<store::ContentEdit> arrival_edits(size_t field_offset, std::string field, size_t header_offset,
                                              const std::vector<size_t>& claimed) {
    std::vector<store::ContentEdit> edits{{field_offset, 0, std::move(field)}};
    for (size_t offset : claimed)
        edits.push_back({header_offset + offset, mailauth::removed_auth_results_name.size(),
                         std::string(mailauth::removed_auth_results_name)});
    return edits;
}

std::string arrival_summary(const mailauth::ArrivalFacts& facts) {
    std::string dkim = facts.dkim.empty() ? "none" : "";
    for (const auto& v : facts.dkim) dkim += (dkim.empty() ? "" : ",") + std::string(dkim_result_name(v.result));
    return fmt::format("spf={} dkim={} dmarc={}", spf_result_name(facts.spf.result), dkim,
                       dmarc_result_name(facts.dmarc.result));
}

bool Session::checks_on() const {
    return listener_ == Listener::mx && ctx_.resolver && ctx_.config.checks.enabled;
}

// At MAIL FROM: SPF runs while the client sends the data.
void Session::start_checks() {
    if (!checks_on()) return;
    tx_->checks = mailauth::ArrivalCheck::start(
        conn_->loop(), *ctx_.resolver,
        mailauth::SpfRequest{conn_->peer_ip(), tx_->from, helo_, ctx_.config.hostname});
}

Session::LentBody Session::lend_body() {
    MessageBody& body = *tx_->content;
    LentBody lent;
    if (body.spooled()) {
        auto spool = body.stream()->spool();
        lent.bytes = spool->view().substr(message_prefix().size());
        lent.owner = spool;
    } else {
        lent.kept = std::make_shared<std::string>(std::move(body.memory()));
        lent.bytes = *lent.kept;
        lent.owner = lent.kept;
    }
    return lent;
}

// At the end of the data (a spool is durable by now): DKIM and DMARC,
// then the decision; deliver() only for what is accepted.
void Session::check_arrival() {
    if (!tx_->checks) return spam_on() ? judge_spam({}, {}) : deliver();
    input_ = Input::waiting;
    conn_->pause_input();
    LentBody lent = lend_body();
    mailauth::MessageBytes message{lent.bytes, lent.owner};
    std::shared_ptr<std::string> kept = lent.kept;
    const Config& config = ctx_.config;
    tx_->checks->examine(std::move(message), config.checks.authserv(config.hostname),
                         [&config](std::string_view domain) { return config.is_local_domain(domain); },
                         ref().bind([kept](Session& self, mailauth::ArrivalReport report) {
                             if (kept) self.tx_->content->memory() = std::move(*kept);
                             self.on_arrival_report(std::move(report));
                         }));
}

void Session::on_arrival_report(mailauth::ArrivalReport report) {
    const Config& config = ctx_.config;
    mailauth::ArrivalDecision decision = mailauth::decide_arrival(report.facts, arrival_policy(config.checks));
    tx_->checks_summary = arrival_summary(report.facts);
    if (decision.action == mailauth::ArrivalAction::refuse || decision.action == mailauth::ArrivalAction::defer) {
        log::info("smtp client={} from={} refused: {} {} reply={}", conn_->peer_ip(), log::quoted(tx_->from),
                  decision.reason, tx_->checks_summary, log::quoted(decision.reply));
        reset_transaction();
        reply(decision.reply);
        return resume_after_async();
    }
    if (decision.action == mailauth::ArrivalAction::junk) tx_->folder = store::SpecialUse::junk;
    std::string field = mailauth::format_auth_results(config.checks.authserv(config.hostname),
                                                      mailauth::arrival_auth_results(report.facts));
    const std::string& prefix = message_prefix();
    tx_->edits = arrival_edits(tx_->relay_skip, std::move(field), prefix.size(), report.claimed_auth_results);
    if (spam_on()) return judge_spam(verified_domains(report.facts), arrival_signals(report.facts));
    store_edits();
}

// A spool is its blob by a link: the edits need a copy (store/content_edit.hpp),
// one per group of recipients whose spam verdict field differs.
void Session::store_edits() {
    MessageBody& body = *tx_->content;
    if (!body.spooled() || (tx_->edits.empty() && tx_->spam_groups.empty())) return deliver();
    std::vector<std::vector<store::ContentEdit>> variants;
    if (tx_->spam_groups.empty()) variants.push_back(tx_->edits);
    for (const auto& group : tx_->spam_groups) variants.push_back(with_field(tx_->edits, tx_->relay_skip, group.field));
    auto source = body.stream()->spool();
    using Spools = std::vector<std::shared_ptr<store::Spool>>;
    ctx_.store.run<Spools>(
        [source, variants](store::Store&) {
            Spools out;
            for (const auto& edits : variants) out.push_back(store::edited_spool(*source, edits));
            return out;
        },
        ref().bind([](Session& self, Spools edited, store::Error error) {
            if (!error) {
                if (self.tx_->spam_groups.empty()) self.tx_->edited_spool = edited.front();
                for (size_t i = 0; i < self.tx_->spam_groups.size(); ++i) self.tx_->spam_groups[i].spool = edited[i];
                return self.deliver();
            }
            log::error("smtp client={} from={} spooling failed: {}", self.conn_->peer_ip(),
                       log::quoted(self.tx_->from), error);
            self.reset_transaction();
            self.reply(storage_failure_reply(error));
            self.resume_after_async();
        }));
}

}  // namespace pochta::smtp
