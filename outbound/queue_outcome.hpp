// What one delivery attempt of a queue entry means for the store: which
// recipients are done, which wait for the next try and when, which failed,
// and the one bounce their sender gets. Pure decisions, no I/O, so the
// rules are tested without a network.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/auth/directory.hpp"
#include "outbound/smtp_client.hpp"
#include "outbound/dsn.hpp"
#include "outbound/retry.hpp"
#include "store/store.hpp"

namespace pochta::outbound {

// One recipient's result in this attempt.
struct RecipientReport {
    std::string rcpt;
    Outcome outcome = Outcome::temporary;
    std::string reply;        // the remote reply, or our reason when none came
    std::string remote_mta;   // the host that answered; "" when none did
};

struct AttemptDecision {
    store::QueueUpdate update;
    std::vector<DsnRecipient> failed;   // for the bounce
};

// Temporary failures of a message queued longer than `max_queue_time`
// become failures; the rest is deferred to the schedule's next try.
AttemptDecision decide_attempt(const store::QueuedMessage& message, const std::vector<RecipientReport>& reports,
                               Clock::time_point now, const RetrySchedule& schedule,
                               std::chrono::seconds max_queue_time);

// Where a bounce to `sender` goes.
struct BounceRoute {
    std::function<bool(std::string_view domain)> is_local_domain;
    std::function<auth::Resolution(std::string_view address)> resolve_local;
    // A local sender that is no user and takes its bounces itself (a
    // list's VERP address: README.md, "Mailing lists", "Bounces"); true
    // when it took the DSN.
    std::function<bool(const std::string& sender, std::string dsn)> take_local;
};

// The DSN for the failed recipients as a store delivery (local INBOX when
// the sender is local, else queued with the null sender); nullopt when no
// bounce is due (null sender, nothing failed, a local sender that no longer
// exists).
std::optional<store::Delivery> make_bounce(const store::QueuedMessage& message,
                                           const std::vector<DsnRecipient>& failed, const std::string& hostname,
                                           const BounceRoute& route);

// The domain of an address ("" when it has none), lowercased.
std::string recipient_domain(std::string_view address);

}  // namespace pochta::outbound
