// The verdict on one message for one recipient (README.md, "Spam"): the
// signals that fired with their points, their sum, and what it means with
// the recipient's thresholds: refused, Junk or INBOX. The verdict is
// written on the stored message as one X-Spam-Status field.
#pragma once

#include <string>
#include <vector>

#include "common/config/config.hpp"
#include "spam/blocklist.hpp"
#include "spam/classifier.hpp"

namespace pochta::spam {

struct Signal {
    std::string name;     // "BAYES", "DNSBL", "SENDER_WRITTEN_TO", ...
    std::string detail;   // "0.998", "zen.example.net:127.0.0.2"; may be empty
    double points = 0;
};

enum class Action { inbox, junk, reject };
std::string_view action_name(Action action);   // "inbox", "junk", "reject"

struct Verdict {
    double score = 0;
    Action action = Action::inbox;
    Config::Spam::Thresholds thresholds;
    std::vector<Signal> signals;
};

// Points at or above reject_score refuse the message, at or above
// junk_score file it in Junk.
Verdict decide(std::vector<Signal> signals, const Config::Spam::Thresholds& thresholds);

// Always spam: refused whatever the thresholds.
Signal gtube_signal();
// Points along the classifier's probability: +weight at 1, -weight at 0,
// nothing while it is untrained.
std::vector<Signal> bayes_signals(const Classification& classification, double weight);
std::vector<Signal> blocklist_signals(const BlocklistReport& report);

// "X-Spam-Status: Yes, score=7.2 junk=5.0 reject=15.0 action=junk
// tests=BAYES(0.998)=7.97,..." folded, ending in CRLF.
std::string status_field(const Verdict& verdict);

// "score=7.2 action=junk tests=BAYES(0.998)=7.97,DNSBL(...)=5" for the log line.
std::string log_summary(const Verdict& verdict);

}  // namespace pochta::spam
