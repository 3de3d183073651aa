// The selected mailbox as one session sees it (RFC 3501 section 7.4.1): the
// sequence-number <-> UID map the client knows and the changes other
// sessions made that the client has not been told about yet. Message
// numbers only change when an EXPUNGE is announced, and EXPUNGE may only be
// announced where the protocol allows it (not during FETCH, STORE or SEARCH
// without UID), so a message that disappeared from the store keeps its
// number, marked expunged, until then.
//
// Per message the view keeps only its UID (4 bytes): flags, dates and sizes
// are read from the store when a command needs them, so an idle session on
// a 5,000-message mailbox costs about 20 KiB, not a copy of the index.
// Loop thread only; no store access here (the session feeds it).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "imap/seqset.hpp"
#include "store/store.hpp"

namespace pochta::imap {

// A message whose flags changed elsewhere, with its new flags.
struct FlagChange {
    uint32_t seq = 0;  // valid after the expunges announced with it
    store::MessageInfo info;
};

// What a session must tell the client, in this order.
struct Announcements {
    std::vector<uint32_t> expunged;       // sequence numbers, each valid when its line is sent
    std::vector<uint32_t> expunged_uids;  // the same messages' UIDs (QRESYNC's VANISHED)
    std::optional<uint32_t> exists;       // new EXISTS count
    std::optional<uint32_t> recent;       // RECENT count (sent with EXISTS)
    std::vector<FlagChange> flag_changes;
    bool empty() const { return expunged.empty() && !exists && flag_changes.empty(); }
};

// MODSEQ on the wire is the store's value plus one: the store starts a
// mailbox at 0, but RFC 7162 makes a HIGHESTMODSEQ of 0 invalid. The
// mapping keeps every comparison intact (CHANGEDSINCE n is "store > n-1").
inline uint64_t wire_modseq(uint64_t stored) { return stored + 1; }
inline uint64_t stored_modseq(uint64_t wire) { return wire ? wire - 1 : 0; }

// The UIDs of `within` ('*' standing for `max`) that are not in `present`
// (ascending): what may have vanished when the store pruned the tombstones
// that would say exactly (store::MailboxInfo::expunge_horizon). RFC 7162
// 3.2.5.2 lets VANISHED (EARLIER) name UIDs the client never knew, and a
// client ignores those.
SeqSet absent_uids(const SeqSet& within, uint32_t max, const std::vector<uint32_t>& present);

class MailboxView {
public:
    // A fresh selection: the store's snapshot of the mailbox. UIDs at or
    // above `first_recent_uid` are \Recent for this session (0 = none).
    void load(const store::MailboxSnapshot& snapshot, uint32_t first_recent_uid);

    int64_t mailbox_id() const { return mailbox_id_; }
    uint32_t uidvalidity() const { return uidvalidity_; }
    uint32_t uidnext() const { return uidnext_; }
    // The highest MODSEQ this view has caught up with: changes above it
    // still have to be fetched (changed_since / expunged_since).
    uint64_t modseq() const { return modseq_; }
    // Keywords in use in the mailbox as far as this view has seen.
    const std::set<std::string>& keywords() const { return keywords_; }
    // Keywords seen on messages read for a command (FETCH): the session
    // announces a new FLAGS list before it shows them (RFC 3501 7.2.6).
    void learn_keywords(const std::set<std::string>& seen) { keywords_.insert(seen.begin(), seen.end()); }

    // Messages as the client numbers them (pending expunges included).
    uint32_t exists() const { return static_cast<uint32_t>(uids_.size()); }
    uint32_t recent_count() const;
    uint32_t max_uid() const { return uids_.empty() ? 0 : uids_.back(); }

    uint32_t uid_at(uint32_t seq) const { return uids_.at(seq - 1); }
    bool is_recent(uint32_t uid) const;
    // Gone from the store, its EXPUNGE not announced yet.
    bool is_expunged(uint32_t uid) const;
    std::optional<uint32_t> seq_of(uint32_t uid) const;
    // UIDs of the messages not expunged, ascending.
    std::vector<uint32_t> live_uids() const;

    // The sequence numbers a set names, ascending. For message numbers a
    // number above exists() is an error (nullopt), as RFC 3501 asks; for
    // UIDs, UIDs not in the view are simply left out ('*' is the highest UID).
    std::optional<std::vector<uint32_t>> resolve(const SeqSet& set, bool uid) const;

    // Changes read from the store since modseq(): messages with a MODSEQ
    // above it (new ones and flag changes) and UIDs expunged since then;
    // `highestmodseq` and `uidnext` are the mailbox's values read before them.
    // `first_recent_uid`: new messages at or above it are \Recent here.
    void apply(const std::vector<store::MessageInfo>& changed, const std::vector<uint32_t>& expunged,
               uint64_t highestmodseq, uint32_t uidnext, uint32_t first_recent_uid = 0);
    // This session's own STORE result: known to the client through the
    // command's own response, so nothing is announced for it.
    void set_flags(const store::MessageInfo& changed);
    // This session's own EXPUNGE/MOVE: removes them now and returns their
    // expunges to announce (sequence numbers in order, each valid when sent)
    // with anything else pending, as take(true) does.
    Announcements remove(const std::vector<uint32_t>& uids);

    // Everything pending; expunges only when `allow_expunge`.
    Announcements take(bool allow_expunge);

private:
    void mark_expunged(uint32_t uid);
    void add_recent(uint32_t first_uid);

    int64_t mailbox_id_ = 0;
    uint32_t uidvalidity_ = 0;
    uint32_t uidnext_ = 1;
    uint64_t modseq_ = 0;
    uint64_t applied_modseq_ = 0;                     // the highest MODSEQ of the rows applied
    uint32_t announced_ = 0;                          // the EXISTS count the client has
    std::vector<uint32_t> uids_;                      // by sequence number - 1
    std::vector<uint32_t> expunged_;                  // sorted: in uids_, gone from the store
    std::map<uint32_t, store::MessageInfo> flags_pending_;  // by UID: changed elsewhere, to announce
    std::map<uint32_t, uint64_t> own_changes_;        // by UID: MODSEQ of this session's own STORE
    std::vector<std::pair<uint32_t, uint32_t>> recent_;  // UID ranges [first, last] \Recent here
    std::set<std::string> keywords_;
};

}  // namespace pochta::imap
