// What the store keeps for the spam filter, per user (README.md, "Spam"):
// the classifier's token counts, the messages it learnt, the history of
// senders, and greylisting triplets. Plain data; the decisions are made in
// spam/, the SQL is store/spam_ops.cpp.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace pochta::store {

// How often a token was seen in the messages a user trained as spam and as ham.
struct SpamTokenCount {
    uint32_t spam = 0;
    uint32_t ham = 0;
};

// How many messages the user trained, of each kind.
struct SpamCorpus {
    uint32_t spam_messages = 0;
    uint32_t ham_messages = 0;
    uint32_t total() const { return spam_messages + ham_messages; }
};

// A sender as the history knows it: kind "address", "domain" (verified by
// SPF or DKIM) or "network" (IPv4 /24, IPv6 /64); value lowercase.
struct SenderKey {
    std::string kind;
    std::string value;
    bool operator==(const SenderKey&) const = default;
};

struct SenderHistory {
    SenderKey key;
    uint32_t good = 0;   // messages the user kept (trained as ham)
    uint32_t bad = 0;    // messages the user moved to Junk (trained as spam)
    uint32_t sent = 0;   // messages the user wrote to this address
};

// What scoring one message for one user needs, read in one snapshot.
struct SpamProfile {
    SpamCorpus corpus;
    std::vector<SpamTokenCount> tokens;   // one per token asked, in order (zeros when unseen)
    std::vector<SenderHistory> senders;   // one per key asked, in order
};

// One message learnt as spam or ham. `digest` identifies the message
// (its content hash), so learning it twice the same way counts once and
// learning it the other way moves its counts over.
struct SpamLesson {
    std::string digest;
    bool spam = false;
    std::vector<uint64_t> tokens;    // distinct
    std::vector<SenderKey> senders;
};

}  // namespace pochta::store
