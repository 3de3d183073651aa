// The SMTP session's part of Sieve at delivery (README.md, "Sieve at
// delivery"): after the checks and the spam verdict, before the store.
#include <fmt/format.h>

#include "common/util/log.hpp"
#include "smtp/session.hpp"

namespace pochta::smtp {

std::optional<SieveEnvelope> Session::sieve_envelope(const std::vector<store::Delivery>& parts) const {
    if (!ctx_.sieve || !tx_->sieve_scripts) return std::nullopt;
    bool local = false;
    for (const auto& part : parts) local = local || !part.local_users.empty();
    if (!local) return std::nullopt;
    SieveEnvelope envelope;
    envelope.queue_id = tx_->queue_id;
    envelope.from = tx_->from;
    envelope.auth = user_;
    envelope.client_ip = conn_->peer_ip();
    envelope.helo = helo_;
    for (const auto& rcpt : tx_->recipients)
        for (const auto& user : rcpt.resolution.local_users) envelope.recipient_of.emplace(user, rcpt.address);
    envelope.spam = tx_->spam_tests;
    return envelope;
}

void Session::filter_then_store(SieveEnvelope envelope, std::vector<store::Delivery> parts, std::string log_line) {
    std::string queue_id = envelope.queue_id;
    ctx_.sieve->filter(std::move(envelope), std::move(parts),
                       ref().bind([log_line = std::move(log_line), queue_id](Session& self, SieveOutcome outcome,
                                                                             store::Error error) mutable {
                           if (error) {
                               log::error("{} result=failed: sieve: {}", log_line, error);
                               self.reply(storage_failure_reply(error));
                               return self.resume_after_async();
                           }
                           if (outcome.refusal) {
                               log::info("{} refused: sieve reject reply={}", log_line, log::quoted(*outcome.refusal));
                               self.reply(*outcome.refusal);
                               return self.resume_after_async();
                           }
                           self.store_parts(std::move(outcome.parts), std::move(log_line), std::move(queue_id),
                                            std::move(outcome.follow_ups));
                       }));
}

}  // namespace pochta::smtp
