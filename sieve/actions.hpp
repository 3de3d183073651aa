// What a Sieve run decides (README.md "Sieve"): the actions in the order
// the script took them, the implicit keep, the edited header, and what
// went wrong. The delivery carries them out; the interpreter never does.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "sieve/context.hpp"
#include "sieve/message.hpp"

namespace pochta::sieve {

// Flags are IMAP flags: system flags spelt "\Seen", keywords as written.
struct Keep {
    std::vector<std::string> flags;
    bool implicit = false;  // the implicit keep (RFC 5228 2.10.2), not the keep command
};

struct FileInto {
    std::string mailbox;
    std::vector<std::string> flags;
    bool create = false;  // :create (RFC 5490)
    bool copy = false;    // :copy (RFC 3894): did not cancel the implicit keep
};

struct Redirect {
    std::string address;
    bool copy = false;
};

struct Discard {};

struct Reject {
    std::string reason;
    bool extended = false;  // ereject: refuse in the SMTP transaction where possible (RFC 5429)
};

// RFC 5230 and 6131: the reply the delivery may send, after its own checks
// (RFC 3834: never to <>, lists, auto-submitted mail or the user's own addresses).
struct Vacation {
    std::string reason;
    std::string subject;   // "" when :subject was not given
    std::string from;      // "" when :from was not given
    std::vector<std::string> addresses;
    bool mime = false;     // the reason is a MIME entity
    std::string handle;    // :handle, or one made of reason, subject, from and :mime
    uint64_t seconds = 0;  // :days x 86400 or :seconds (default 7 days)
};

using Action = std::variant<Keep, FileInto, Redirect, Discard, Reject, Vacation>;

enum class Status {
    ok,
    error,   // a runtime error: the actions are dropped, the message is kept (RFC 5228 2.10.6)
    budget,  // the instruction or memory budget ran out, or includes nested or looped: as error
};

struct Result {
    Status status = Status::ok;
    std::string error;                  // "LINE:COLUMN: reason" when status != ok
    std::vector<Action> actions;        // with the implicit keep last, as a Keep{.implicit = true}
    std::vector<std::string> notes;     // things ignored on purpose (a protected header left alone)
    bool header_edited = false;
    std::vector<HeaderField> header;    // the header after editheader (every action delivers this one)
    std::vector<DuplicateCheck> duplicate_marks;  // to record once the message is delivered
    uint64_t steps = 0;                 // instructions used

    // Whether the message goes into any mailbox (keep or fileinto).
    bool delivers() const;
};

// One line per action, the form `pochta sieve test` prints: `keep`,
// `keep flags=\Seen,$Label`, `fileinto "Box" create copy flags=...`,
// `redirect "a@b" copy`, `discard`, `reject "reason"`, `ereject "reason"`,
// `vacation seconds=N subject="..." from="..." handle="..." mime addresses="a,b" reason="..."`.
std::string describe(const Action& action);

}  // namespace pochta::sieve
