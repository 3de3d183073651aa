// What the checks on arrival found for one message, what pochta does with
// it (README.md, "Checks on arrival"), and the Authentication-Results
// entries that record it. Pure: tested without DNS or sockets.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "mailauth/auth_results.hpp"
#include "mailauth/dkim_verify.hpp"
#include "mailauth/dmarc.hpp"
#include "mailauth/dmarc_author.hpp"
#include "mailauth/spf.hpp"

namespace pochta::mailauth {

// The [checks] switches that choose between refusing, Junk and INBOX.
struct ArrivalPolicy {
    bool dmarc_reject = true;
    bool dmarc_quarantine = true;
    bool spf_reject = false;
    bool local_from = true;
};

struct ArrivalFacts {
    SpfIdentity spf_identity = SpfIdentity::mailfrom;
    std::string spf_subject;           // the MAIL FROM address, or the HELO name for <>
    SpfOutcome spf;
    // The HELO identity's own check (RFC 7208 2.3), when the MAIL FROM one
    // was made: only reported, since DMARC and the policy judge MAIL FROM.
    std::optional<SpfOutcome> helo_spf;
    std::string helo;
    std::vector<DkimVerdict> dkim;     // one per signature evaluated
    Author author;
    bool local_author = false;         // the From domain is one of ours
    DmarcOutcome dmarc;                // result none when there was no From domain to judge
};

enum class ArrivalAction {
    deliver,   // into INBOX
    junk,      // into the recipients' Junk mailbox
    refuse,    // 5xx at the end of the data
    defer,     // 4xx: a DNS failure kept us from a decision that would refuse
};

struct ArrivalDecision {
    ArrivalAction action = ArrivalAction::deliver;
    std::string reply;    // for refuse and defer: the whole SMTP reply line
    std::string reason;   // for the log: why, in a few words
};

ArrivalDecision decide_arrival(const ArrivalFacts& facts, const ArrivalPolicy& policy);

// spf, one dkim per signature ("dkim=none" without any), dmarc.
std::vector<AuthResult> arrival_auth_results(const ArrivalFacts& facts);

}  // namespace pochta::mailauth
