// The spam verdict inside an SMTP session (README.md, "Spam"): MX listener
// only, after the checks on arrival. The session's part is in
// smtp/spam_checks.cpp (Session::judge_spam, on_spam_verdicts); these are
// its pure helpers.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "mailauth/arrival_check_policy.hpp"
#include "spam/filter.hpp"
#include "spam/rspamd.hpp"
#include "store/content_edit.hpp"
#include "store/store.hpp"

namespace pochta::smtp {

// Recipients that get the same stored bytes and folder: one delivery each.
struct SpamGroup {
    std::vector<std::string> users;
    store::SpecialUse folder = store::SpecialUse::none;
    std::string field;                    // X-Spam-Status (and rspamd's fields)
    std::shared_ptr<store::Spool> spool;  // a spooled body with this group's edits
};

// Refused only when every recipient's verdict refuses it: nothing is
// accepted and then bounced; the others' refusing recipients get it in Junk.
bool refused_by_all(const std::vector<spam::UserVerdict>& verdicts);
// `extra_fields`: header fields rspamd asked for, stored after X-Spam-Status.
std::vector<SpamGroup> spam_groups(const std::vector<spam::UserVerdict>& verdicts, const std::string& extra_fields);

// Greylisting is on and no recipient knows the sender as good (a good
// history needs SPF or DKIM to believe it): the triplets are checked.
bool greylisting_applies(const Config::Spam& config, const std::vector<spam::UserVerdict>& verdicts);

// `edits` with `field` inserted at `offset` (joined to an insertion already
// there, the Authentication-Results field).
std::vector<store::ContentEdit> with_field(std::vector<store::ContentEdit> edits, size_t offset,
                                           const std::string& field);

// What the checks on arrival add to the score, and the domains they verified.
std::vector<spam::Signal> arrival_signals(const mailauth::ArrivalFacts& facts);
std::vector<std::string> verified_domains(const mailauth::ArrivalFacts& facts);

}  // namespace pochta::smtp
