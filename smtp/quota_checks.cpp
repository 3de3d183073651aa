// QUOTA at SMTP (README.md, "IMAP": QUOTA): a local recipient whose mailbox
// is full is refused at RCPT with 452 4.2.2 (the other recipients go on);
// at the end of DATA, before anything is stored, a message that would take
// any local recipient past its quota is refused for the transaction with
// 452 4.2.2, so the sender keeps it and tries again: nothing is lost and
// nobody gets it twice. After a delivery, a recipient whose usage reached
// [quota] warning_percent gets one warning message.
#include <fmt/format.h>

#include <algorithm>

#include "common/util/log.hpp"
#include "common/util/strings.hpp"
#include "smtp/quota_checks.hpp"
#include "smtp/session.hpp"

namespace pochta::smtp {
namespace {

// The first of `users` that one more message of `bytes` (0: of a size not
// known yet) would take past its quota ("" if none).
std::string over_quota(store::Store& store, const std::vector<std::string>& users, uint64_t bytes) {
    for (const std::string& user : users) {
        store::QuotaLimits limits = store.quota_limits(user);
        if (limits.unlimited()) continue;
        store::QuotaUsage usage = store.quota_usage(user);
        bool full_bytes = limits.bytes && (bytes ? usage.bytes + bytes > limits.bytes : usage.bytes >= limits.bytes);
        bool full_count = limits.messages && usage.messages + 1 > limits.messages;
        if (full_bytes || full_count) return user;
    }
    return {};
}

// What the store said before a delivery: the first user it would take
// past the quota ("" if none), and whether Sieve has scripts to run.
struct DeliveryCheck {
    std::string full;
    bool sieve_scripts = true;
};

std::string warning_message(const std::string& hostname, const std::string& user, unsigned percent) {
    return fmt::format(
        "From: Mail Delivery System <MAILER-DAEMON@{0}>\r\nTo: <{1}>\r\nSubject: Your mailbox is {2}% full\r\n"
        "Date: {3}\r\nMessage-ID: <quota.{4}@{0}>\r\nAuto-Submitted: auto-generated\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        "Your mailbox {1} has reached {2}% of its quota.\r\n"
        "When it is full, new mail is refused until you delete some.\r\n",
        hostname, user, percent, rfc5322_date_now(), random_hex(12));
}

}  // namespace

// At RCPT: a recipient whose mailbox is full already (or too full for the
// SIZE the client declared) is refused; the rest is accepted as usual.
void Session::accept_recipient_within_quota(Recipient recipient) {
    if (recipient.resolution.local_users.empty()) return accept_recipient(std::move(recipient));
    input_ = Input::waiting;
    conn_->pause_input();
    auto users = recipient.resolution.local_users;
    ctx_.store.run<std::string>(
        [users](store::Store& store) { return over_quota(store, users, 0); },
        ref().bind([recipient = std::move(recipient)](Session& self, std::string full, store::Error error) mutable {
            if (!self.tx_) return self.resume_after_async();
            if (!error.empty()) {
                self.reply(storage_failure_reply(error));
            } else if (!full.empty()) {
                log::info("smtp client={} to={} refused=over_quota", self.conn_->peer_ip(), log::quoted(recipient.address));
                self.reply(fmt::format("452 4.2.2 <{}>: Mailbox full", recipient.address));
            } else {
                self.accept_recipient(std::move(recipient));
            }
            self.resume_after_async();
        }));
}

// Before the delivery: the whole message against every local recipient.
// The same store call looks for their Sieve scripts, so a message none has
// scripts for skips the call that would run them (smtp/sieve_session.cpp).
void Session::deliver_within_quota() {
    std::vector<std::string> users;
    for (const auto& rcpt : tx_->recipients)
        for (const auto& user : rcpt.resolution.local_users)
            if (std::find(users.begin(), users.end(), user) == users.end()) users.push_back(user);
    uint64_t size = message_prefix().size() + tx_->content->size();
    tx_->quota_checked = true;
    if (users.empty()) return deliver();
    input_ = Input::waiting;
    conn_->pause_input();
    const bool sieve = ctx_.sieve != nullptr;
    const bool global_scripts = sieve && ctx_.sieve->has_global_scripts();
    ctx_.store.run<DeliveryCheck>(
        [users, size, sieve, global_scripts](store::Store& store) {
            DeliveryCheck check{over_quota(store, users, size), sieve};
            if (check.full.empty() && sieve && !global_scripts) check.sieve_scripts = any_active_script(store, users);
            return check;
        },
        ref().bind([](Session& self, DeliveryCheck check, store::Error error) {
            const std::string& full = check.full;
            self.tx_->sieve_scripts = check.sieve_scripts;
            if (error.empty() && full.empty()) return self.deliver();
            if (!full.empty())
                log::info("smtp client={} from={} refused: over the quota of {}", self.conn_->peer_ip(),
                          log::quoted(self.tx_->from), full);
            self.reset_transaction();
            self.reply(error.empty() ? fmt::format("452 4.2.2 <{}>: Mailbox full", full) : storage_failure_reply(error));
            self.resume_after_async();
        }));
}


void warn_filling_mailboxes(store::AsyncStore& async_store, const Config& config,
                            const std::vector<std::string>& users) {
    unsigned percent = config.quota.warning_percent;
    if (percent == 0) return;
    for (const std::string& user : users) {
        async_store.run<bool>(
            [user, percent](store::Store& store) { return store.claim_quota_warning(user, percent); },
            [&store = async_store, user, percent, hostname = config.hostname](bool due, store::Error) {
                if (!due) return;
                store::Delivery warning;
                warning.envelope_from = "";
                warning.local_users = {user};
                warning.data = warning_message(hostname, user, percent);
                store.deliver(std::move(warning), [user](store::Error error) {
                    if (!error.empty()) log::warn("quota warning for {} not stored: {}", user, error);
                    else log::info("quota warning sent to {}", user);
                });
            });
    }
}

}  // namespace pochta::smtp
