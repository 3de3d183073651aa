// Mailing lists at SMTP (README.md, "Mailing lists"): at RCPT a local
// address that is no user or alias is looked up as a list's address (the
// refusal for an unknown user is sent when it is not); at the end of DATA,
// before anything else is stored, each list addressed keeps its copy in
// the store, so the 250 comes only once every list has it. The lists then
// process their copies on their own (lists/list_engine.hpp).
#include <fmt/format.h>

#include "common/util/log.hpp"
#include "smtp/session.hpp"
#include "store/spool.hpp"

namespace pochta::smtp {

bool Session::may_be_list(const Address& rcpt, const auth::Resolution& resolution) const {
    return ctx_.lists && !resolution.found && !rcpt.domain_literal && ctx_.config.is_local_domain(rcpt.domain) &&
           is_plain_local_part(rcpt);
}

void Session::find_list_recipient(const Address& rcpt, std::string refusal) {
    input_ = Input::waiting;
    conn_->pause_input();
    ctx_.lists->find_target(
        rcpt.canonical(),
        ref().bind([rcpt, refusal = std::move(refusal)](Session& self, std::optional<lists::ListTarget> target) {
            self.input_ = Input::command;
            if (!self.tx_) return self.resume_after_async();
            if (target) {
                self.accept_recipient(Recipient{rcpt.str(), auth::Resolution{true, {}, {}}, std::move(target)});
            } else {
                log::info("smtp client={} from={} to={} refused={}", self.conn_->peer_ip(),
                          log::quoted(self.tx_->from), log::quoted(rcpt.str()), log::quoted(refusal));
                self.refuse_recipient(refusal);
            }
            // A refusal that waits (refuse_recipient) resumes by itself.
            if (self.input_ == Input::command) self.resume_after_async();
        }));
}

void Session::keep_list_copies() {
    tx_->lists_kept = true;
    std::vector<lists::ListTarget> targets;
    for (const auto& rcpt : tx_->recipients)
        if (rcpt.list) targets.push_back(*rcpt.list);
    if (targets.empty()) return deliver();
    // The message as relayed: the stored bytes without the Return-Path line.
    store::Delivery copy;
    fill_content(copy, tx_->edits, tx_->edited_spool);
    const std::string message(store::content_of(copy).substr(tx_->relay_skip));
    input_ = Input::waiting;
    conn_->pause_input();
    struct Outcome {
        size_t left = 0;
        store::Error error;
    };
    auto outcome = std::make_shared<Outcome>();
    outcome->left = targets.size();
    auto kept = ref().bind([outcome](Session& self, store::Error error) {
        if (!error.empty() && outcome->error.empty()) outcome->error = error;
        if (--outcome->left > 0) return;
        if (outcome->error.empty()) return self.deliver();
        log::error("smtp client={} from={} list copy not stored: {}", self.conn_->peer_ip(),
                   log::quoted(self.tx_->from), outcome->error);
        self.reset_transaction();
        self.reply(storage_failure_reply(outcome->error));
        self.resume_after_async();
    });
    for (auto& target : targets) ctx_.lists->accept(std::move(target), tx_->from, message, kept);
}

}  // namespace pochta::smtp
