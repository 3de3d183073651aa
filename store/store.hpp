// The message store: the only owner of SQLite and of message files.
// Its interface speaks of users, mailboxes, messages and queue entries,
// never of SQL or paths, so another backend can slot in behind it.
//
// Threading: every method blocks and is thread-safe; call them from worker
// threads (EventLoop::offload) or through AsyncStore, never on the loop
// thread. Writes from many threads are group-committed: concurrent
// deliveries share one transaction and one fsync.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "store/integrity.hpp"
#include "store/list_data.hpp"
#include "store/result.hpp"
#include "store/spam_data.hpp"
#include "store/sieve_marks.hpp"
#include "store/sieve_scripts.hpp"
#include "store/vacation_data.hpp"

namespace pochta::store {

enum class SpecialUse { none, drafts, sent, trash, junk, archive };

struct MailboxInfo {
    int64_t id = 0;
    std::string name;            // "INBOX", "Sent", "Projects/2026" (delimiter '/')
    SpecialUse special_use = SpecialUse::none;
    bool subscribed = true;
    uint32_t uidvalidity = 0;
    uint32_t uidnext = 1;
    uint64_t highestmodseq = 0;
    uint32_t messages = 0;
    uint32_t unseen = 0;
    // Tombstones of expunges at or below this MODSEQ may have been pruned
    // (Options::expunge_history): expunged_since(id, m) with m below it is
    // incomplete, and a caller must work from the UIDs that still exist.
    uint64_t expunge_horizon = 0;
};

// Flag bits; keywords are kept as strings.
enum Flag : uint32_t {
    flag_seen = 1, flag_answered = 2, flag_flagged = 4, flag_deleted = 8, flag_draft = 16,
};

struct MessageInfo {
    int64_t id = 0;              // store-wide message row id
    uint32_t uid = 0;
    uint64_t modseq = 0;
    uint32_t flags = 0;
    std::vector<std::string> keywords;
    int64_t internal_date = 0;   // unix seconds
    uint64_t size = 0;           // octets of the stored message
    uint64_t crlf_size = 0;      // octets with every bare LF sent as CRLF (POP3 LIST, IMAP RFC822.SIZE)
    std::string pop3_uidl;       // stable forever, unique per user
    int64_t save_date = 0;       // unix seconds it came into this mailbox (RFC 8514); 0: not known
};

// What a commit changed, for sessions that must hear of it (IMAP IDLE and
// untagged updates, POP3 not at all during a session).
struct ChangeEvent {
    enum class Kind { appended, flags, expunged, mailbox_created, mailbox_deleted, mailbox_renamed };
    Kind kind = Kind::appended;
    std::string user;
    int64_t mailbox_id = 0;
    uint64_t modseq = 0;         // the mailbox's highestmodseq after the change
};

enum class FlagOp { add, remove, replace };

struct FlagUpdate {
    std::vector<uint32_t> uids;              // messages to change (by UID)
    FlagOp op = FlagOp::add;
    uint32_t flags = 0;
    std::vector<std::string> keywords;
    std::optional<uint64_t> unchanged_since; // CONDSTORE UNCHANGEDSINCE
};

struct FlagResult {
    std::vector<MessageInfo> changed;        // with their new flags and modseq (only those that changed)
    std::vector<uint32_t> modified;          // UIDs refused by UNCHANGEDSINCE (the MODIFIED response code)
};

class Spool;

struct AppendRequest {
    std::string user;
    std::string mailbox;
    std::string data;
    // Set when the message arrived through a spool file (README.md,
    // "Spooling"), as for Delivery::spool: `data` is then empty.
    std::shared_ptr<Spool> spool;
    uint32_t flags = 0;
    std::vector<std::string> keywords;
    int64_t internal_date = 0;               // 0 = now
};

// QUOTA (README.md, "IMAP": QUOTA): what a user's messages take in all
// mailboxes, and the limits; 0 is no limit.
struct QuotaUsage {
    uint64_t bytes = 0;
    uint64_t messages = 0;
};
struct QuotaLimits {
    uint64_t bytes = 0;
    uint64_t messages = 0;
    bool unlimited() const { return bytes == 0 && messages == 0; }
};

struct AppendResult {
    uint32_t uidvalidity = 0;
    uint32_t uid = 0;
};

struct CopyResult {
    uint32_t uidvalidity = 0;                // of the destination
    std::vector<uint32_t> source_uids;       // in order, paired with dest_uids (COPYUID)
    std::vector<uint32_t> dest_uids;
};

// Where Sieve filed a message for one local user (README.md, "Sieve at
// delivery"): one copy in `mailbox` ("" = the Delivery's folder), with
// these flags. A mailbox that does not exist is created with `create`
// (RFC 5490 :create), else the copy goes to INBOX.
struct Filing {
    std::string user;
    std::string mailbox;
    bool create = false;
    uint32_t flags = 0;                      // Flag bits
    std::vector<std::string> keywords;       // invalid ones are dropped
};

// One accepted message and where it goes. `data` is the message exactly as
// it is to be stored for local recipients (Return-Path and Received already
// prepended); relay copies skip the first `relay_skip` bytes (the
// Return-Path line), since mail relayed onward carries no Return-Path.
struct Delivery {
    std::string queue_id;                    // the id the SMTP session logs
    std::string envelope_from;               // "" for the null sender <>
    // The envelope sender of the queued copy for remote_rcpts when it is
    // not envelope_from: an alias forwarding with SRS (README.md,
    // "Forwarding with SRS").
    std::optional<std::string> relay_from;
    std::string data;
    // Set when the message arrived through a spool file (README.md,
    // "Spooling"): `data` is then empty and the finished (fsync'd) spool
    // holds the message; its file becomes the blob by a link.
    std::shared_ptr<Spool> spool;
    size_t relay_skip = 0;
    std::vector<std::string> local_users;    // canonical user addresses
    // Where local users get it: their INBOX (none), or the mailbox with this
    // special use, e.g. Junk for a DMARC quarantine (README.md, "DMARC").
    SpecialUse folder = SpecialUse::none;
    std::vector<std::string> remote_rcpts;   // outbound queue
    int64_t internal_date = 0;               // unix seconds; 0 = now
    std::vector<Filing> filings;             // copies Sieve placed, besides local_users
};

// Copies of one message for many remote recipients (a list's post, README.md
// "Mailing lists"), each its own queue entry with its own envelope sender
// (VERP) and header fields put before the shared content when relayed
// (a member's List-Unsubscribe); the content is stored once.
struct FanoutCopy {
    std::string queue_id;
    std::string envelope_from;
    std::string rcpt;
    std::string header_prefix;               // complete CRLF-ended field lines, or ""
};
struct Fanout {
    std::shared_ptr<const std::string> data; // the message as relayed, shared, never copied
    std::string sha256;                      // of *data; "" = computed here (once per post by the caller)
    std::vector<FanoutCopy> copies;
};

struct QueueEntry {
    std::string id;
    std::string envelope_from;
    std::vector<std::string> pending_rcpts;
    unsigned attempts = 0;
    int64_t next_attempt = 0;                // unix seconds
    std::string last_reply;
    int64_t created = 0;
};

// A queue entry as the queue runner needs it for one delivery attempt.
struct QueuedMessage {
    std::string id;
    std::string envelope_from;
    std::vector<std::string> rcpts;          // still to deliver (pending or deferred), in order
    unsigned attempts = 0;
    int64_t created = 0;                     // unix seconds
    std::string data;                        // the message as relayed: without its Return-Path line
};

// What one attempt did for one recipient.
struct RcptOutcome {
    enum class State { delivered, deferred, failed };
    std::string rcpt;
    State state = State::deferred;
    std::string reply;                       // the remote reply or our reason
};

// The outcome of (part of) one delivery attempt of a queue entry, written
// in one transaction so that a recipient that got a 250 is never sent to
// again and a failure and its bounce are stored together.
struct QueueUpdate {
    std::string id;
    std::vector<RcptOutcome> rcpts;          // recipients no longer pending are left as they are
    // The attempt is over: attempts + 1, next_attempt and last_reply set;
    // the entry (and its blob reference) goes when nothing is left pending.
    bool attempt_done = false;
    int64_t next_attempt = 0;                // unix seconds
    std::string last_reply;
    std::optional<Delivery> bounce;          // stored with it, only while the entry still exists
};

// Counters of the group-commit writer, for tests, benchmarks and logs.
struct Stats {
    uint64_t deliveries_ok = 0;      // deliveries committed
    uint64_t deliveries_failed = 0;  // deliveries whose done() got an error
    uint64_t commits = 0;            // write transactions committed (batches and other writes)
    uint64_t batches = 0;            // delivery batches attempted
    uint64_t largest_batch = 0;      // most deliveries that shared one transaction
};

// What SELECT needs of a mailbox, read in one snapshot.
struct MailboxSnapshot {
    MailboxInfo box;
    std::vector<uint32_t> uids;          // ascending
    uint32_t first_unseen_uid = 0;       // 0: every message has \Seen
    std::vector<std::string> keywords;   // in use, distinct
};

// Derives a protocol's summary of a message from its serialized MIME
// structure (IMAP: ENVELOPE and BODYSTRUCTURE, rendered once), kept beside
// the structure so that reading it later needs no parsing. Opaque to the
// store; must be pure and must not throw for any structure.
using Summarizer = std::function<std::string(const std::string& structure)>;

// Makes what SORT and THREAD compare of a message (imap/sort_keys.hpp)
// from its bytes and serialized MIME structure, kept per blob beside the
// structure (README.md, "IMAP": SORT and THREAD). Opaque to the store;
// must be pure.
using SortKeyMaker = std::function<std::string(std::string_view raw, const std::string& structure)>;

// One message's index row and stored sort keys (sort_key_rows).
struct SortKeyRow {
    MessageInfo info;
    std::string keys;  // empty: none (no maker, or the message cannot be read)
};

// What message_rows reads besides each message's MessageInfo.
struct RowParts {
    bool summary = false;
    bool structure = false;
    bool content = false;    // the bytes of messages kept inside the index
};

struct MessageRow {
    MessageInfo info;
    std::string summary;                 // empty when none is kept
    std::string structure;               // serialized, when asked (parsed now if it never was)
    std::optional<std::string> content;  // when asked and the message is small enough to be inline
};

// The full-text index (README.md, "Full-text search"): what it keeps of a
// message is made by the front-end that searches (imap/search_index.hpp),
// already case-folded; the store only stores it and looks substrings up.
struct IndexedText {
    std::string header;  // the header as TEXT sees it
    std::string fields;  // more forms of header fields (raw, rendered addresses) header keys may match
    std::string body;    // the body as BODY sees it
};
// From a message's bytes and serialized MIME structure; pure, never throws.
using TextMaker = std::function<IndexedText(std::string_view raw, const std::string& structure)>;

struct TextIndexOptions {
    TextMaker make;                         // empty: no index
    uint64_t max_message_size = 10 << 20;   // larger messages are not indexed (searched by scanning)
};

// Where a substring is looked for in the full-text index.
enum class TextScope : uint8_t {
    body,    // exact: BODY
    text,    // exact: TEXT (header or body)
    fields,  // a superset of the messages a header key (FROM, SUBJECT...) matches
};
struct TextKey {
    TextScope scope = TextScope::body;
    std::string folded;  // at least 3 characters of valid UTF-8
};
// One snapshot of the index: the messages it holds (of those asked), and
// for each key the ids of the user's messages that hold its substring.
struct TextIndexResult {
    std::vector<int64_t> indexed;               // ascending
    std::vector<std::vector<int64_t>> matches;  // per key, ascending
};

struct Options {
    // Messages up to this size are kept inside the index database, so one
    // group commit (one fsync) makes a whole batch durable; larger ones are
    // content-addressed files under data_dir/blobs.
    size_t inline_blob_limit = 64 * 1024;
    std::chrono::milliseconds checkpoint_interval{1000};
    // Clean up at open what an interrupted run left (temp files, blob files
    // no row names). Short-lived CLI commands may turn it off; even when on,
    // it only happens when no other process has the store open, so a CLI
    // command never removes the files of a delivery the server has in flight.
    bool maintenance = true;
    // Expunge tombstones kept per mailbox for QRESYNC (the newest ones);
    // older ones are pruned and raise MailboxInfo::expunge_horizon.
    size_t expunge_history = 10000;
    // Computed at delivery/APPEND, and on first read for messages stored
    // without one. Empty: no summaries.
    Summarizer summarize;
    // Computed at delivery/APPEND/import, and on first read (sort_key_rows)
    // for messages stored without them. Empty: none.
    SortKeyMaker sort_keys;
    // Keeps the full-text index up to date on a thread of its own. CLI
    // commands leave it empty: the server's indexer catches up.
    TextIndexOptions text_index;
    // Each user's quota: APPEND and COPY that would exceed it fail with
    // ErrorKind::over_quota; delivery never does (SMTP checks before it
    // accepts, README.md "IMAP": QUOTA). Empty: no quotas. Thread-safe.
    std::function<QuotaLimits(const std::string& user)> quota_limits;
};

// ---- Import (README.md, "Import and export"; store/import_ops.cpp).
// What an import wants of one mailbox.
struct ImportTarget {
    std::string user;
    std::string mailbox;          // created, with missing parents, if absent
    std::string source;           // what is imported, e.g. "maildir:/srv/mail/alice/.Work"
    // The source's UIDVALIDITY, kept with its UIDs; 0: the mailbox keeps
    // its own and messages get new UIDs (an mbox).
    uint32_t uidvalidity = 0;
    uint32_t uidnext = 0;         // UIDs below it are the source's: reserved for it
};

struct ImportClaim {
    MailboxInfo box;
    std::string refused;          // not empty: why the mailbox cannot take this import
    std::string progress;         // what an interrupted import of the same source saved
};

struct ImportMessage {
    uint32_t uid = 0;             // 0: the next free one
    std::string data;
    uint32_t flags = 0;
    std::vector<std::string> keywords;   // valid keywords (check_keyword)
    int64_t internal_date = 0;    // unix seconds; 0 = now
};

struct ImportBatchResult {
    size_t stored = 0;
    size_t present = 0;           // their UID was already in the mailbox: an earlier run stored them
};

class Store {
public:
    // Opens (creating if missing) data_dir, runs migrations, cleans up
    // leftovers of interrupted deliveries (temp files, orphan blobs).
    static std::unique_ptr<Store> open(const std::filesystem::path& data_dir, Options options = {});
    virtual ~Store() = default;

    // Durable on return: blob fsync'd and index committed. For each local
    // user, the default mailboxes exist afterwards and the message is in
    // INBOX; remote recipients become one queue entry. Identical content for
    // several users is stored once. Throws StoreError.
    virtual void deliver(const Delivery& delivery) = 0;
    // Non-blocking form of deliver(): hands the delivery to the group-commit
    // writer and returns at once. `done` runs on the writer thread after the
    // batch holding it committed: error is empty on success.
    virtual void submit(Delivery delivery, std::function<void(Error error)> done) = 0;

    // Creates INBOX, Drafts, Sent, Trash, Junk and Archive (with special-use)
    // for the user if missing.
    virtual void ensure_user(const std::string& user) = 0;
    // Removes all of the user's mailboxes and messages (`user del --purge`).
    virtual void purge_user(const std::string& user) = 0;

    virtual std::vector<MailboxInfo> list_mailboxes(const std::string& user) = 0;
    virtual std::optional<MailboxInfo> find_mailbox(const std::string& user, const std::string& name) = 0;
    virtual std::vector<MessageInfo> list_messages(int64_t mailbox_id) = 0;
    // A mailbox by id without its counts (messages and unseen are 0): one
    // row however big the mailbox. nullopt once it is gone.
    virtual std::optional<MailboxInfo> mailbox_state(int64_t mailbox_id) = 0;
    // The mailbox and its UIDs, nullopt if there is none: what a session
    // keeps of a selected mailbox, without the rest of each row.
    virtual std::optional<MailboxSnapshot> mailbox_snapshot(const std::string& user, const std::string& name) = 0;
    // The stored bytes of a message (whole; streaming readers come with POP3/IMAP).
    virtual std::string read_message(int64_t message_id) = 0;
    // Whether the message's bytes can be read, cheaply (one stat, no read):
    // empty when it is kept inline or its blob file has the recorded size;
    // unavailable (naming the blob) when the file is missing or has another
    // size; nonexistent when there is no such message.
    virtual Error check_message(int64_t message_id) = 0;
    // check_message for many messages in one snapshot: the failures only
    // (message id and why).
    virtual std::vector<std::pair<int64_t, Error>> check_messages(const std::vector<int64_t>& message_ids) = 0;

    virtual std::vector<QueueEntry> list_queue() = 0;
    // Adds the copies in one transaction, the content's blob stored if it
    // is not already (an earlier batch's copies may all be gone); returns
    // the content's hash, for the next batch of the same post.
    virtual std::string enqueue_fanout(const Fanout& fanout) = 0;
    virtual bool delete_queue_entry(const std::string& id) = 0;
    // Makes every queue entry due now.
    virtual void flush_queue() = 0;
    // Entries due at `now` (oldest due first) that are not in `skip` (the
    // runner's entries in flight), at most `max_entries`, and no more than
    // `max_bytes` of message data (always at least one entry when any is due).
    virtual std::vector<QueuedMessage> due_queue(int64_t now, size_t max_entries, size_t max_bytes,
                                                 const std::vector<std::string>& skip) = 0;
    // Applies the updates in one transaction; for each, whether its entry
    // still existed (an admin may have deleted it meanwhile). Throws StoreError.
    virtual std::vector<bool> update_queue(const std::vector<QueueUpdate>& updates) = 0;
    // Called on the writer thread after a commit that added queue entries
    // (mail to remote recipients, bounces); must be quick (post to a loop).
    // It may occasionally be called when nothing was added. One listener.
    virtual void set_queue_listener(std::function<void()> listener) = 0;

    virtual Stats stats() const = 0;

    // Where spools (store/spool.hpp) are written: data_dir/tmp, emptied at start.
    virtual std::filesystem::path spool_dir() const = 0;

    // `pochta check`: reads every blob (hashing it) and every reference.
    // With repair: blob rows nothing refers to are dropped, orphan files
    // removed, and messages whose blob file is gone expunged (their bytes
    // are lost; the row would only fail every client again); messages with
    // a damaged blob are reported but kept, for the admin to restore.
    virtual IntegrityReport check_integrity(bool repair) = 0;

    // The full-text index (README.md, "Full-text search"). search_text_index
    // answers for the messages with ids in [min_id, max_id]; messages it does
    // not hold (not indexed yet, too large) are absent from `indexed` and the
    // caller scans them. rebuild_text_index indexes the user's messages anew
    // with `make` and returns how many it indexed.
    virtual TextIndexResult search_text_index(const std::string& user, int64_t min_id, int64_t max_id,
                                              const std::vector<TextKey>& keys) = 0;
    virtual size_t rebuild_text_index(const std::string& user, const TextIndexOptions& options) = 0;

    // ---- Mailboxes (names are rows, never paths; '/' is the hierarchy delimiter).
    // Throws MailboxExists / MailboxNotFound / MailboxRefused; StoreError for
    // a name the store cannot keep (empty, NUL, leading/trailing '/', "//",
    // over 1,000 bytes). Parents are not created implicitly. Mailbox and
    // message ids are never reused, so a stale id finds nothing.
    virtual MailboxInfo create_mailbox(const std::string& user, const std::string& name,
                                       SpecialUse use = SpecialUse::none) = 0;
    // Refuses INBOX and a mailbox that has inferiors (MailboxRefused); the
    // subscription of the name stays.
    virtual void delete_mailbox(const std::string& user, const std::string& name) = 0;
    // Renaming INBOX moves its messages into a new mailbox and leaves INBOX
    // empty (RFC 3501 6.3.5; INBOX keeps UIDVALIDITY and UIDNEXT, its
    // inferiors stay); renaming a parent renames its children. A renamed
    // mailbox keeps its id and UIDVALIDITY, and its subscription follows it.
    virtual void rename_mailbox(const std::string& user, const std::string& from, const std::string& to) = 0;
    // Subscriptions are kept by name and may name mailboxes that do not exist.
    virtual void set_subscribed(const std::string& user, const std::string& name, bool subscribed) = 0;
    virtual std::vector<std::string> subscriptions(const std::string& user) = 0;

    // ---- Messages.
    virtual AppendResult append(const AppendRequest& request) = 0;
    // MULTIAPPEND (RFC 3502): every message in one transaction, all or
    // none; results in the requests' order.
    virtual std::vector<AppendResult> append_all(const std::vector<AppendRequest>& requests) = 0;
    virtual FlagResult update_flags(int64_t mailbox_id, const FlagUpdate& update) = 0;
    // COPY / MOVE (RFC 6851: a move keeps the POP3 UIDL and expunges the
    // source in the same transaction). UIDs that no longer exist are skipped.
    // Both mailboxes must belong to one user (MailboxRefused otherwise).
    virtual CopyResult copy_messages(int64_t from_mailbox, const std::vector<uint32_t>& uids, int64_t to_mailbox,
                                     bool move) = 0;
    // Removes the given messages (only those with \Deleted when only_deleted),
    // records them for QRESYNC, returns the UIDs removed in ascending order.
    // An empty list removes nothing.
    virtual std::vector<uint32_t> expunge(int64_t mailbox_id, const std::vector<uint32_t>& uids,
                                          bool only_deleted) = 0;
    // Part of a stored message, for streaming large messages in pieces: at
    // most 16 MiB per call (SqliteStore::max_read_range), fewer at the end,
    // empty at or past it.
    virtual std::string read_range(int64_t message_id, uint64_t offset, uint64_t length) = 0;
    // The MIME structure cached at delivery/APPEND (common/mime's serialized form).
    virtual std::string message_structure(int64_t message_id) = 0;
    // The messages of a mailbox with these UIDs (ascending), in one read
    // snapshot, each with the parts asked for; UIDs that do not exist are
    // left out. For FETCH: a batch of messages costs one index range scan.
    virtual std::vector<MessageRow> message_rows(int64_t mailbox_id, const std::vector<uint32_t>& uids,
                                                 RowParts parts) = 0;
    // The (UID, message id) of each message of a mailbox, by UID: a read of
    // its (mailbox, UID) index alone, for SEARCH to ask the full-text index
    // before reading any row.
    virtual std::vector<std::pair<uint32_t, int64_t>> message_ids(int64_t mailbox_id) = 0;
    // SORT/THREAD: the rows and sort keys of the messages with these UIDs
    // (ascending) in one read snapshot, so a search over flags, dates and
    // sizes needs no other read; UIDs that do not exist are left out. Keys
    // missing (messages stored before schema 13) are made now and kept.
    virtual std::vector<SortKeyRow> sort_key_rows(int64_t mailbox_id, const std::vector<uint32_t>& uids) = 0;
    // CONDSTORE/QRESYNC: messages whose modseq is above `modseq`, and UIDs
    // expunged since then (ascending; complete only for a `modseq` at or
    // above the mailbox's expunge_horizon).
    virtual std::vector<MessageInfo> changed_since(int64_t mailbox_id, uint64_t modseq) = 0;
    virtual std::vector<uint32_t> expunged_since(int64_t mailbox_id, uint64_t modseq) = 0;
    // \Recent, cheaply: returns the first UID that is recent for the caller
    // and marks everything below `below` (at most the mailbox's uidnext) as
    // no longer recent for later callers: the first session to see a
    // message gets it. Callers pass one past the highest UID they have read,
    // so a message that arrived after that read goes to whoever sees it.
    virtual uint32_t claim_recent(int64_t mailbox_id, uint32_t below = UINT32_MAX) = 0;

    // ---- The spam filter's memory of each user (README.md, "Spam"; store/spam_ops.cpp).
    // Counts of these tokens and the history of these senders; zeros for a
    // user the store does not know.
    virtual SpamProfile spam_profile(const std::string& user, const std::vector<uint64_t>& tokens,
                                     const std::vector<SenderKey>& senders) = 0;
    // Applies the lessons in one transaction; returns how many changed the counts.
    virtual size_t spam_learn(const std::string& user, const std::vector<SpamLesson>& lessons) = 0;
    // The user wrote to these addresses (lowercase): their mail is trusted.
    virtual void spam_note_sent(const std::string& user, const std::vector<std::string>& addresses) = 0;
    // Greylisting: whether a triplet first seen at least `delay` ago (or
    // passed before) may pass at `now`; a new triplet is recorded and may not.
    virtual bool greylist_pass(const std::string& triplet, int64_t delay_seconds, int64_t now) = 0;
    // ---- Users' Sieve scripts (README.md, "ManageSieve"; store/sieve_ops.cpp).
    // Names are as in valid_sieve_script_name; a bad one throws StoreError
    // (invalid). Reads find nothing for a user the store does not know.
    // The user's scripts, by name.
    virtual std::vector<SieveScriptInfo> list_sieve_scripts(const std::string& user) = 0;
    virtual std::optional<std::string> read_sieve_script(const std::string& user, const std::string& name) = 0;
    virtual std::optional<ActiveSieveScript> active_sieve_script(const std::string& user) = 0;
    // Stores the script, or replaces the one of that name (which stays
    // active if it was), unless the quota refuses it: then nothing changes
    // and the answer says why. The check and the write are one transaction.
    virtual SieveSpace put_sieve_script(const std::string& user, const std::string& name, const std::string& source,
                                        const SieveQuota& quota) = 0;
    // Makes `name` the one active script; "" leaves none active. Throws
    // StoreError (nonexistent) when there is no such script.
    virtual void activate_sieve_script(const std::string& user, const std::string& name) = 0;
    // Throws StoreError: nonexistent, or refused for the active script
    // (RFC 5804 DELETESCRIPT: it must be deactivated first).
    virtual void delete_sieve_script(const std::string& user, const std::string& name) = 0;
    // The script keeps its source and whether it is active. Throws
    // StoreError: nonexistent, already_exists (the new name is taken).
    virtual void rename_sieve_script(const std::string& user, const std::string& from, const std::string& to) = 0;

    // ---- Import (README.md, "Import and export"; store/import_ops.cpp).
    // Takes the mailbox for an import from target.source: a mailbox that
    // never held a message takes the source's UIDVALIDITY and reserves its
    // UIDs; one claimed by the same source before resumes it. A mark of the
    // claim stays in the index, so a second run finds what the first did.
    virtual ImportClaim claim_import(const ImportTarget& target) = 0;
    // Stores the messages in one transaction, with `progress` saved beside
    // the claim; a message whose UID is in the mailbox already is skipped.
    // Throws StoreError (refused) when the mailbox is not claimed by `source`.
    virtual ImportBatchResult import_batch(int64_t mailbox_id, const std::string& source,
                                           const std::vector<ImportMessage>& messages,
                                           const std::string& progress) = 0;
    // ---- Sieve at delivery (README.md, "Sieve at delivery"; store/sieve_marks.cpp):
    // the duplicate test's marks and one-time notices, per user and key.
    virtual bool sieve_marked(const std::string& user, const std::string& key, int64_t now) = 0;
    virtual void sieve_mark(const std::string& user, const std::vector<SieveMark>& marks, int64_t now) = 0;
    // ---- Vacation replies and managed scripts (README.md, "Vacation and
    // forwarding"; store/vacation_ops.cpp).
    // Whether the reply is due; when it is, the mark is recorded in the same
    // transaction (two deliveries at once never both reply). Marks past
    // their period are pruned for the user as it goes.
    virtual bool vacation_claim(const VacationMark& mark) = 0;
    // The settings of the user's managed script; nullopt when there are none.
    virtual std::optional<ManagedSieve> managed_sieve(const std::string& user) = 0;
    // Replaces them; empty settings remove them.
    virtual void set_managed_sieve(const std::string& user, const ManagedSieve& settings) = 0;
    // ---- Mailing lists (README.md, "Mailing lists"; store/list_ops.cpp).
    // Addresses are lowercased by the caller. Every change records a
    // ListEvent by `actor` in the same transaction. Throws StoreError:
    // already_exists, nonexistent (no such list).
    virtual void create_list(const std::string& list, const std::string& actor) = 0;
    virtual void delete_list(const std::string& list, const std::string& actor) = 0;
    virtual std::optional<MailingList> find_list(const std::string& list) = 0;
    virtual std::vector<std::string> list_names() = 0;
    // Adds the person or replaces their roles and delivery; roles 0 removes them.
    virtual void set_list_person(const std::string& list, const ListPerson& person, const std::string& actor) = 0;
    // An empty value removes the setting (its default applies).
    virtual void set_list_setting(const std::string& list, const std::string& name, const std::string& value,
                                  const std::string& actor) = 0;
    virtual std::vector<ListEvent> list_events(const std::string& list, size_t max_events) = 0;
    // Pending items: added durably (before an SMTP 250), taken once.
    virtual int64_t add_list_pending(const ListPending& item) = 0;
    virtual std::optional<ListPending> take_list_pending(int64_t id) = 0;
    virtual std::optional<ListPending> read_list_pending(int64_t id) = 0;
    // Ids of the items of a kind (of every list), oldest first; with
    // `expired_at`, only those whose expiry is set and not after it.
    virtual std::vector<int64_t> list_pending_ids(ListPendingKind kind, size_t max_items, int64_t expired_at = 0) = 0;
    // The secret list tokens are signed with, made at the first call.
    virtual std::string list_secret() = 0;
    // Counts a hard bounce of a member on `day` (unix days; one per day),
    // forgets days before the window, and stops the member's delivery
    // (logged) when the days in the window reach `threshold`. Not a
    // member: score 0.
    virtual ListBounceScore record_list_bounce(const std::string& list, const std::string& member, int64_t day,
                                               int64_t window_days, int64_t threshold) = 0;
    // Restarts a member's delivery and forgets their bounces (logged);
    // false when the address is not on the list.
    virtual bool enable_list_member(const std::string& list, const std::string& member, const std::string& actor) = 0;
    // Posts waiting for the list's digest, oldest first: at most
    // `max_posts`, and no more than `max_bytes` beyond the first; their
    // data only `with_data`.
    virtual void add_list_digest_post(const std::string& list, const std::string& data) = 0;
    virtual std::vector<ListDigestPost> list_digest_posts(const std::string& list, size_t max_posts,
                                                          size_t max_bytes, bool with_data) = 0;
    // Removes the list's digest posts up to `last_id`, once a digest holds them.
    virtual void remove_list_digest_posts(const std::string& list, int64_t last_id) = 0;
    // The lists that have posts waiting for a digest.
    virtual std::vector<std::string> lists_with_digest_posts() = 0;
    // The lists that have `address` (lowercased) as a person, in any role,
    // by address (their archives: store/list_archive.hpp).
    virtual std::vector<std::string> lists_of_person(const std::string& address) = 0;

    // Called on the writer thread after each commit with what it changed,
    // before the callers of that commit return; must be quick (post to a
    // loop). It may read the store, but a blocking write from inside it
    // throws StoreError (it would wait for its own thread). One listener;
    // set before serving.
    // The user's usage over all mailboxes, kept by the index as messages
    // come and go; zeros for an unknown user.
    virtual QuotaUsage quota_usage(const std::string& user) = 0;
    // Options::quota_limits for the user (no limits without it).
    virtual QuotaLimits quota_limits(const std::string& user) = 0;
    // True once each time the usage reaches `percent` of a limit (the
    // warning is due); rearmed when it falls below again.
    virtual bool claim_quota_warning(const std::string& user, unsigned percent) = 0;

    virtual void set_change_listener(std::function<void(const std::vector<ChangeEvent>&)> listener) = 0;
};

}  // namespace pochta::store
