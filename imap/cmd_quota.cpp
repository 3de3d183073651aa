// QUOTA (RFC 9208): one quota root per user, named "", over all its
// mailboxes, with the resources STORAGE (in units of 1024 octets) and
// MESSAGE. Limits come from the configuration and the users file
// (README.md, "IMAP": QUOTA); SETQUOTA is refused, users cannot change them.
#include <fmt/format.h>

#include "common/util/log.hpp"
#include "imap/response.hpp"
#include "imap/session.hpp"
#include "imap/store_outcome.hpp"
#include "store/list_archive.hpp"

namespace pochta::imap {
namespace {

struct QuotaState {
    store::QuotaLimits limits;
    store::QuotaUsage usage;
};

// `* QUOTA "" (STORAGE used limit MESSAGE used limit)`, the resources that have a limit.
std::string quota_line(const QuotaState& q) {
    std::string resources;
    if (q.limits.bytes)
        resources += fmt::format("STORAGE {} {}", (q.usage.bytes + 1023) / 1024, q.limits.bytes / 1024);
    if (q.limits.messages)
        resources += fmt::format("{}MESSAGE {} {}", resources.empty() ? "" : " ", q.usage.messages, q.limits.messages);
    return fmt::format("* QUOTA \"\" ({})\r\n", resources);
}

}  // namespace

void Session::cmd_getquota(const Command& cmd, bool by_mailbox) {
    if (cmd.args.size() != 1 || !cmd.args[0].astring())
        return bad(by_mailbox ? "GETQUOTAROOT needs a mailbox" : "GETQUOTA needs a quota root");
    std::optional<std::string> mailbox;
    if (by_mailbox) {
        mailbox = name_arg(cmd.args[0]);
        if (!mailbox) return bad("Invalid mailbox name");
    } else if (!cmd.args[0].text.empty()) {
        return no("No such quota root", "NONEXISTENT");
    }
    run_store<QuotaState>(
        [user = user_, mailbox](store::Store& store) {
            if (mailbox) {
                const store::MailboxPlace place = store::place_of(store, user, *mailbox);
                if (!store.find_mailbox(place.owner, place.name))
                    throw store::StoreError("no such mailbox", store::ErrorKind::nonexistent);
                // A list archive is in no quota root of the user (README.md, "Mailing lists").
                if (place.archive) return QuotaState{};
            }
            return QuotaState{store.quota_limits(user), store.quota_usage(user)};
        },
        [mailbox](Session& self, QuotaState q, store::Error error) {
            if (error) {
                if (error.kind != store::ErrorKind::nonexistent) log::warn("imap user={} GETQUOTA: {}", self.user_, error);
                return self.no(error.kind == store::ErrorKind::nonexistent ? "No such mailbox" : "GETQUOTA failed",
                               response_code(error.kind));
            }
            if (mailbox) {
                std::string root = q.limits.unlimited() ? "" : " \"\"";
                self.send(fmt::format("* QUOTAROOT {}{}\r\n", self.wire_name(*mailbox), root));
            } else if (q.limits.unlimited()) {
                return self.no("No such quota root", "NONEXISTENT");
            }
            if (!q.limits.unlimited()) self.send(quota_line(q));
            self.ok(mailbox ? "GETQUOTAROOT completed" : "GETQUOTA completed");
        });
}

void Session::cmd_setquota() { no("Quotas are set by the administrator", "NOPERM"); }

}  // namespace pochta::imap
