// What the store keeps for vacation replies and for the scripts `pochta
// vacation` and `pochta forward` write (README.md "Vacation and
// forwarding"; store/vacation_ops.cpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace pochta::store {

// One vacation reply about to be sent: to `sender` (lowercased), under the
// vacation action's `handle`, for `user`. Due when no reply under the same
// handle went to that sender within the last `period` seconds (RFC 5230
// 4.2, RFC 6131); a period of 0 is always due and leaves no mark.
struct VacationMark {
    std::string user;
    std::string handle;
    std::string sender;
    int64_t now = 0;      // unix seconds
    int64_t period = 0;   // seconds
};

// The settings behind a user's managed script: vacation and forwarding,
// and the user's own script that it includes.
struct ManagedSieve {
    std::string own_script;               // the script active before, included by the managed one; "" when none
    std::vector<std::string> forward_to;  // empty: no forwarding
    bool forward_keep = false;            // a copy stays in the mailbox
    bool vacation = false;
    std::string vacation_subject;
    std::string vacation_message;
    std::string vacation_until;           // "YYYY-MM-DD", "" when open-ended
    uint32_t vacation_days = 7;

    bool empty() const { return forward_to.empty() && !vacation; }
};

}  // namespace pochta::store
