// Sieve at delivery (README.md, "Sieve at delivery"): each local
// recipient's scripts (smtp/sieve_run.hpp) run on a store worker before the
// message is stored, and their actions become what the store keeps: copies
// filed with flags, redirects queued with SRS, RFC 5429 rejections, edited
// headers. What follows the 250 (vacation replies, duplicate marks, the
// notice of a failing script) runs after the message is stored.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/auth/directory.hpp"
#include "common/config/config.hpp"
#include "sieve/actions.hpp"
#include "smtp/forwarding.hpp"
#include "smtp/sieve_run.hpp"
#include "smtp/sieve_script_cache.hpp"
#include "store/async_store.hpp"

namespace pochta::smtp {

// One vacation action to answer, as VacationResponder::respond
// (smtp/vacation.hpp) takes it.
struct VacationCall {
    std::string user;
    std::string recipient;        // the RCPT TO that reached the user
    std::string envelope_sender;  // "" for <>
    std::string message_headers;  // the header block as the user got it
    sieve::Vacation action;
};
using RespondVacation = std::function<void(VacationCall call, std::function<void()> done)>;

// RFC 3685 values of one user's spam verdict.
struct SpamTest {
    int score = 0;    // 1..10
    int percent = 0;  // 0..100
};

// What the session knows of the transaction, for the scripts' context.
struct SieveEnvelope {
    std::string queue_id;
    std::string from;  // "" for <>
    std::string auth;  // the authenticated submitter, "" on the MX listener
    std::string client_ip;
    std::string helo;
    std::map<std::string, std::string> recipient_of;  // user -> the RCPT TO that reached them
    std::map<std::string, SpamTest> spam;             // user -> their verdict, when judged
};

// What runs once the message is stored.
struct SieveFollowUps {
    struct Notice {
        std::string user, script, error, key;
    };
    std::vector<VacationCall> vacations;
    std::map<std::string, std::vector<store::SieveMark>> marks;  // by user
    std::vector<Notice> notices;
};

struct SieveOutcome {
    std::vector<store::Delivery> parts;   // what the store is to keep, all or nothing
    std::optional<std::string> refusal;   // every recipient rejected it: the SMTP reply
    SieveFollowUps follow_ups;
};

// Whether one of `users` has an active script; on a store worker.
bool any_active_script(store::Store& store, const std::vector<std::string>& users);

// A spam verdict as RFC 3685 values: 1 + 9 x score / reject_score, capped.
SpamTest spam_test(double score, double reject_score);

class SieveDelivery {
public:
    struct Services {
        const Config& config;
        store::AsyncStore& store;
        auth::Directory& directory;
        const Forwarding* forwarding = nullptr;  // SRS for redirects; none: the sender as it is
        GlobalScripts scripts;
        RespondVacation vacation;                // none: vacation actions are logged and skipped
    };
    explicit SieveDelivery(Services services);

    bool has_global_scripts() const { return services_.scripts.any(); }

    // `parts`: the deliveries the session would store. `done` on the loop.
    void filter(SieveEnvelope envelope, std::vector<store::Delivery> parts,
                std::function<void(SieveOutcome outcome, store::Error error)> done);
    // After the message is stored; needs no session. `recorded` runs on the
    // loop once the duplicate marks are written (the 250 waits for it, so
    // the next copy of the message finds them), at once when there are none.
    void follow_up(SieveFollowUps follow_ups, std::function<void()> recorded);

private:
    Services services_;
    std::shared_ptr<ScriptCache> cache_ = std::make_shared<ScriptCache>();
};

}  // namespace pochta::smtp
