#include "smtp/spam_checks.hpp"

#include <fmt/format.h>

#include <ctime>

#include "common/metrics/pochta_metrics.hpp"
#include "common/util/log.hpp"
#include "common/util/strings.hpp"
#include "smtp/rspamd_edits.hpp"
#include "smtp/session.hpp"
#include "spam/distinct.hpp"
#include "store/spool.hpp"

namespace pochta::smtp {

bool refused_by_all(const std::vector<spam::UserVerdict>& verdicts) {
    if (verdicts.empty()) return false;
    for (const auto& v : verdicts)
        if (v.verdict.action != spam::Action::reject) return false;
    return true;
}

std::vector<SpamGroup> spam_groups(const std::vector<spam::UserVerdict>& verdicts, const std::string& extra_fields) {
    std::vector<SpamGroup> groups;
    for (const auto& v : verdicts) {
        store::SpecialUse folder = v.verdict.action == spam::Action::inbox ? store::SpecialUse::none
                                                                           : store::SpecialUse::junk;
        std::string field = spam::status_field(v.verdict) + extra_fields;
        SpamGroup* group = nullptr;
        for (auto& g : groups)
            if (g.folder == folder && g.field == field) group = &g;
        if (!group) group = &groups.emplace_back(SpamGroup{{}, folder, std::move(field), nullptr});
        group->users.push_back(v.user);
    }
    return groups;
}

bool greylisting_applies(const Config::Spam& config, const std::vector<spam::UserVerdict>& verdicts) {
    if (!config.greylist || verdicts.empty()) return false;
    for (const auto& v : verdicts)
        for (const auto& signal : v.verdict.signals)
            if (signal.name.rfind("SENDER_", 0) == 0 && signal.points < 0) return false;
    return true;
}

std::vector<store::ContentEdit> with_field(std::vector<store::ContentEdit> edits, size_t offset,
                                           const std::string& field) {
    for (auto& e : edits)
        if (e.offset == offset && e.length == 0) {
            e.text += field;
            return edits;
        }
    edits.insert(edits.begin(), store::ContentEdit{offset, 0, field});
    return edits;
}

std::vector<spam::Signal> arrival_signals(const mailauth::ArrivalFacts& facts) {
    std::vector<spam::Signal> out;
    using mailauth::SpfResult;
    if (facts.spf.result == SpfResult::fail) out.push_back({"SPF_FAIL", facts.spf.domain, 3.0});
    else if (facts.spf.result == SpfResult::softfail) out.push_back({"SPF_SOFTFAIL", facts.spf.domain, 1.0});
    if (facts.dmarc.result == mailauth::DmarcResult::fail)
        out.push_back({"DMARC_FAIL", facts.dmarc.from_domain, 3.0});
    else if (facts.dmarc.result == mailauth::DmarcResult::pass)
        out.push_back({"DMARC_PASS", facts.dmarc.from_domain, -1.0});
    return out;
}

std::vector<std::string> verified_domains(const mailauth::ArrivalFacts& facts) {
    std::vector<std::string> out;
    if (facts.spf.result == mailauth::SpfResult::pass) spam::add_distinct(out, to_lower(facts.spf.domain));
    for (const auto& v : facts.dkim)
        if (v.result == mailauth::DkimResult::pass) spam::add_distinct(out, to_lower(v.domain));
    return out;
}

bool Session::spam_on() const { return listener_ == Listener::mx && ctx_.spam && ctx_.config.spam.enabled; }

// The filter's worker reads the body as the DKIM worker does (lend_body).
void Session::judge_spam(std::vector<std::string> verified, std::vector<spam::Signal> signals) {
    input_ = Input::waiting;
    conn_->pause_input();
    message_prefix();  // makes the queue id, also when the checks on arrival are off
    std::vector<std::string> users;
    for (const auto& rcpt : tx_->recipients)
        for (const auto& user : rcpt.resolution.local_users) spam::add_distinct(users, user);
    // Verdicts are per local recipient: mail that is only forwarded
    // elsewhere has none to get (rspamd, when set, is still asked).
    if (users.empty() && ctx_.config.spam.rspamd.empty()) return settle_verdicts({}, "");
    LentBody lent = lend_body();
    std::shared_ptr<std::string> kept = lent.kept;
    spam::MessageToJudge message;
    message.bytes = lent.bytes;
    message.owner = lent.owner;
    message.queue_id = tx_->queue_id;
    message.client_ip = conn_->peer_ip();
    message.mail_from = tx_->from;
    message.users = std::move(users);
    message.verified_domains = std::move(verified);
    message.signals = std::move(signals);
    ctx_.spam->judge(std::move(message), ref().bind([kept](Session& self, std::vector<spam::UserVerdict> verdicts) {
        if (kept) self.tx_->content->memory() = std::move(*kept);
        self.on_spam_verdicts(std::move(verdicts));
    }));
}

// With [spam] rspamd set, rspamd is asked after pochta's own verdicts and
// its action is applied on top of them; without an answer the mail goes on.
void Session::on_spam_verdicts(std::vector<spam::UserVerdict> verdicts) {
    const Config::Spam& config = ctx_.config.spam;
    if (config.rspamd.empty()) return settle_verdicts(std::move(verdicts), "");
    spam::RspamdEnvelope envelope{tx_->from, {}, conn_->peer_ip(), helo_, tx_->queue_id, ctx_.config.hostname};
    for (const auto& rcpt : tx_->recipients) envelope.rcpts.push_back(rcpt.address);
    LentBody lent = lend_body();
    spam::ask_rspamd(conn_->loop(), config.rspamd, config.rspamd_timeout, envelope, lent.bytes,
                     ref().bind([verdicts = std::move(verdicts)](Session& self, std::optional<spam::RspamdResult> result,
                                                                 std::string why) mutable {
                         if (!result) {
                             log::warn("spam queue_id={} rspamd not asked, going on without it: {}", self.tx_->queue_id, why);
                             return self.settle_verdicts(std::move(verdicts), "");
                         }
                         self.apply_rspamd(std::move(verdicts), *result);
                     }));
    if (lent.kept) tx_->content->memory() = std::move(*lent.kept);   // copied by ask_rspamd
}

void Session::apply_rspamd(std::vector<spam::UserVerdict> verdicts, const spam::RspamdResult& result) {
    using spam::RspamdAction;
    log::info("spam queue_id={} rspamd action=\"{}\" score={:.2f}", tx_->queue_id, result.action_name, result.score);
    if (result.action == RspamdAction::reject || result.action == RspamdAction::soft_reject ||
        result.action == RspamdAction::greylist) {
        const bool permanent = result.action == RspamdAction::reject;
        reset_transaction();
        reply(permanent ? "550 5.7.1 Message refused as spam" : "451 4.7.1 Please try again later");
        return resume_after_async();
    }
    std::string fields;
    for (const auto& [name, value] : result.add_headers)
        if (auto field = spam::header_field(name, value)) fields += *field;
    apply_rspamd_edits(result);
    const bool junk = result.action == RspamdAction::add_header || result.action == RspamdAction::rewrite_subject;
    for (auto& v : verdicts) {
        v.verdict.signals.push_back({"RSPAMD", fmt::format("{}:{:.2f}", result.action_name, result.score), 0});
        if (junk && v.verdict.action == spam::Action::inbox) v.verdict.action = spam::Action::junk;
    }
    settle_verdicts(std::move(verdicts), fields);
}

// The header the client sent, changed as rspamd asks; offsets are moved
// past our own Return-Path and Received lines, as the other edits'.
void Session::apply_rspamd_edits(const spam::RspamdResult& result) {
    LentBody lent = lend_body();
    std::vector<store::ContentEdit> edits = rspamd_header_edits(lent.bytes, result);
    if (lent.kept) tx_->content->memory() = std::move(*lent.kept);
    if (edits.empty()) return;
    const uint64_t prefix = message_prefix().size();
    for (auto& edit : edits) edit.offset += prefix;
    tx_->edits = merge_edits(std::move(tx_->edits), std::move(edits));
}

void Session::settle_verdicts(std::vector<spam::UserVerdict> verdicts, std::string extra_fields) {
    for (const auto& v : verdicts) {
        log::info("spam queue_id={} client={} from={} user={} {}", tx_->queue_id, conn_->peer_ip(),
                  log::quoted(tx_->from), v.user, spam::log_summary(v.verdict));
        metrics::spam_verdicts(spam::action_name(v.verdict.action)).inc();
    }
    if (refused_by_all(verdicts)) {
        log::info("smtp queue_id={} client={} from={} refused: spam", tx_->queue_id, conn_->peer_ip(),
                  log::quoted(tx_->from));
        reset_transaction();
        reply("550 5.7.1 Message refused as spam");
        return resume_after_async();
    }
    if (!greylisting_applies(ctx_.config.spam, verdicts))
        return accept_verdicts(std::move(verdicts), std::move(extra_fields));
    std::vector<std::string> triplets;
    for (const auto& v : verdicts)
        triplets.push_back(fmt::format("{} {} {}", spam::network_of(conn_->peer_ip()), to_lower(tx_->from), v.user));
    const int64_t delay = ctx_.config.spam.greylist_delay.count();
    ctx_.store.run<bool>(
        [triplets, delay](store::Store& store) {
            bool pass = true;
            const int64_t now = std::time(nullptr);
            for (const auto& t : triplets) pass = store.greylist_pass(t, delay, now) && pass;
            return pass;
        },
        ref().bind([verdicts = std::move(verdicts), extra_fields = std::move(extra_fields)](
                       Session& self, bool pass, store::Error error) mutable {
            // A store failure never holds mail back: greylisting fails open.
            if (error) log::warn("smtp queue_id={} greylisting skipped: {}", self.tx_->queue_id, error);
            if (pass || error) return self.accept_verdicts(std::move(verdicts), std::move(extra_fields));
            log::info("smtp queue_id={} client={} from={} greylisted", self.tx_->queue_id, self.conn_->peer_ip(),
                      log::quoted(self.tx_->from));
            self.reset_transaction();
            self.reply("451 4.7.1 Greylisted: please try again later");
            self.resume_after_async();
        }));
}

void Session::accept_verdicts(std::vector<spam::UserVerdict> verdicts, const std::string& extra_fields) {
    tx_->spam_groups = spam_groups(verdicts, extra_fields);
    for (const auto& v : verdicts)
        tx_->spam_tests[v.user] = spam_test(v.verdict.score, v.verdict.thresholds.reject_score);
    store_edits();
}

std::vector<store::Delivery> Session::spam_parts(store::Delivery delivery) {
    std::vector<store::Delivery> parts;
    if (tx_->spam_groups.empty()) {
        fill_content(delivery, tx_->edits, tx_->edited_spool);
        parts.push_back(std::move(delivery));
        return parts;
    }
    for (auto& group : tx_->spam_groups) {
        store::Delivery part = delivery;
        part.local_users = group.users;
        if (group.folder == store::SpecialUse::junk) part.folder = store::SpecialUse::junk;
        if (!parts.empty()) part.remote_rcpts.clear();   // queued once, with the first part
        fill_content(part, with_field(tx_->edits, tx_->relay_skip, group.field), group.spool);
        parts.push_back(std::move(part));
    }
    return parts;
}

void Session::note_correspondents(const std::vector<std::string>& recipients) {
    std::vector<std::string> addresses;
    for (const auto& r : recipients) addresses.push_back(to_lower(r));
    ctx_.store.run<bool>(
        [user = user_, addresses](store::Store& store) {
            store.spam_note_sent(user, addresses);
            return true;
        },
        [user = user_](bool, store::Error error) {
            if (error) log::warn("spam user={} correspondents not noted: {}", user, error);
        },
        user_);
}

}  // namespace pochta::smtp
