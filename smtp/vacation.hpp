// The vacation responder (README.md "Vacation and forwarding"): carries out
// a Sieve vacation action (RFC 5230) for one delivered message. It applies
// the rules of RFC 3834 and RFC 5230 (smtp/vacation_rules.hpp), asks the
// store whether this sender had a reply under this handle within the
// period, and stores the reply (smtp/vacation_reply.hpp) as a delivery:
// into the outbound queue, whose signer DKIM-signs it, or straight into a
// local sender's INBOX.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "common/auth/directory.hpp"
#include "common/config/config.hpp"
#include "sieve/actions.hpp"
#include "store/async_store.hpp"

namespace pochta::smtp {

struct VacationRequest {
    std::string user;              // the canonical address whose script took the action
    std::string recipient;         // the envelope recipient (RCPT TO) the message came to
    std::string envelope_sender;   // MAIL FROM; "" for <>
    std::string message_headers;   // the header section of the message as it arrived
    sieve::Vacation action;
};

class VacationResponder {
public:
    // All three must outlive the responder; the store's callbacks still
    // under way when it goes are harmless (they hold no pointer to it).
    VacationResponder(const Config& config, auth::Directory& directory, store::AsyncStore& store);

    // Runs on the loop thread; `done` runs on it once the reply is stored,
    // or was not due, or could not be stored (logged). The message itself
    // is never affected: a vacation reply is best effort.
    void respond(VacationRequest request, std::function<void()> done);

private:
    const Config& config_;
    auth::Directory& directory_;
    store::AsyncStore& store_;
};

// The period the :days/:seconds of a vacation action comes to within
// [sieve] vacation_min_period and vacation_max_period (RFC 5230 4.1, RFC
// 6131 2: a site may bound it).
std::chrono::seconds vacation_period(uint64_t seconds, std::chrono::seconds min, std::chrono::seconds max);

}  // namespace pochta::smtp
