// What a Sieve run knows besides the message (README.md "Sieve"): the
// envelope, the environment items, the spam and virus verdicts, the time,
// and callbacks for what only the caller can answer (whether a mailbox
// exists, whether a message was seen before, the scripts `include` names).
// The interpreter never does I/O: everything comes in here.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "sieve/ast.hpp"
#include "sieve/message.hpp"

namespace pochta::sieve {

struct Envelope {
    std::string from;  // MAIL FROM; "" for the null sender <>
    std::string to;    // the RCPT TO this delivery is for
    std::string auth;  // the authenticated submitter, "" when none
};

enum class IncludeLocation { personal, global };

// RFC 7352: the identity of the message for the duplicate test.
struct DuplicateCheck {
    std::string handle;     // :handle, "" when none
    std::string id;         // the Message-ID, the :header field's value or :uniqueid
    uint64_t seconds = 0;   // how long a mark counts (:seconds, default 7 days)
    bool last = false;      // :last: the period runs from the last sighting, not the first
};

struct Context {
    Envelope envelope;
    // RFC 5183 items ("domain", "host", "location", "name", "phase",
    // "remote-host", "remote-ip", "version", ...); an absent item fails the test.
    std::map<std::string, std::string, std::less<>> environment;
    // RFC 3685: spamtest 1 (surely ham) .. 10 (surely spam), spamtestplus
    // :percent 0..100, virustest 1 (clean) .. 5 (infected); nullopt = not
    // tested, which the tests see as "0".
    std::optional<int> spam_score;
    std::optional<int> spam_percent;
    std::optional<int> virus_score;
    // Now, and the local zone (minutes east of UTC), for currentdate and
    // the date test without :zone.
    int64_t now = 0;
    int zone_minutes = 0;

    // mailboxexists (RFC 5490); absent: no mailbox exists.
    std::function<bool(std::string_view mailbox)> mailbox_exists;
    // duplicate (RFC 7352): was this identity marked within its period?
    // The run lists the marks to record in Result::duplicate_marks; absent: never seen.
    std::function<bool(const DuplicateCheck&)> seen_before;
    // include (RFC 6609): the compiled script of that name, or null when
    // there is none.
    std::function<std::shared_ptr<const Script>(IncludeLocation, std::string_view name)> include;
};

}  // namespace pochta::sieve
