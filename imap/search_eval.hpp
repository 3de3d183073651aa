// Evaluation of a parsed SEARCH tree (imap/search_query.hpp) against
// messages, for SEARCH, UID SEARCH, SORT and THREAD.
//
// Messages are seen through SearchMessage: the cheap per-message facts
// from the index, plus callbacks the evaluator calls only when a key needs
// them, so a search over flags, dates and sizes never reads a message.
// Keys are evaluated cheapest first within AND and OR, so "UNSEEN BODY x"
// reads only the unseen messages.
//
// Semantics chosen where the RFCs leave room:
// - BEFORE/ON/SINCE compare the day of INTERNALDATE in the server's time
//   zone (SearchContext::utc_offset; local time by default).
// - SENTBEFORE/SENTON/SENTSINCE compare the day written in the Date: field,
//   disregarding time and zone (RFC 3501 6.4.4). A message without a
//   parsable Date: field matches none of them (and so matches NOT SENTON...):
//   the keys are defined on that field, not on INTERNALDATE.
// - LARGER/SMALLER compare SearchMessage::size, which is RFC822.SIZE.
// - MODSEQ n matches modseq >= n; the entry name and type are accepted and
//   the message's single MODSEQ is used for every entry (RFC 7162 3.1.5
//   allows that for servers that do not keep per-flag values).
// - String keys are case-insensitive substring matches after folding (see
//   imap/search_text.hpp for the limits). Header keys look at every field of
//   the name, unfolded, with encoded words decoded; address fields also
//   match their raw text and each address as "name <local@domain>". An
//   empty HEADER (or FROM, SUBJECT...) string matches messages that have
//   the field. BODY looks at the decoded text parts (imap/search_text.hpp),
//   TEXT at the decoded header plus that.
// - A full-text index (SearchContext::index) may answer string keys instead:
//   it must answer exactly as this evaluation would.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "common/mime/structure.hpp"
#include "imap/search_query.hpp"

namespace pochta::imap {

struct SearchMessage {
    uint32_t seq = 0;
    uint32_t uid = 0;
    uint64_t modseq = 0;
    uint32_t flags = 0;                               // store::Flag bits
    const std::vector<std::string>* keywords = nullptr;  // may be null: none
    int64_t internal_date = 0;                        // unix seconds
    int64_t save_date = 0;                            // unix seconds; 0: not kept (SAVEDATE NIL)
    int64_t message_id = 0;                           // the store's id: EMAILID "M<id>", SearchContext::index
    uint64_t size = 0;                                // RFC822.SIZE
    bool recent = false;

    // Called at most once per evaluation, and only when a key needs it. The
    // returned reference/view must stay valid until the evaluation returns.
    std::function<const mime::Structure&()> structure;
    std::function<std::string_view()> raw;     // the whole message
    // Optional: the top-level header block alone (e.g. from a cache). When
    // empty, header-only keys take it from raw().
    std::function<std::string_view()> header;
};

// The work one SEARCH may do (README, "IMAP": SEARCH limits): octets of
// message text scanned by its string keys, and a wall-clock deadline
// checked as it scans. Past either, evaluation throws SearchTooExpensive.
struct SearchBudget {
    uint64_t max_octets = UINT64_MAX;
    std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
    uint64_t used = 0;

    // Counts `octets` about to be scanned; throws when over the budget.
    void charge(uint64_t octets);
};

struct SearchTooExpensive : std::runtime_error {
    SearchTooExpensive() : std::runtime_error("search too expensive") {}
};

// What a full-text index knows (imap/search_index.hpp) of a string key
// (HEADER, BODY, TEXT) for a message: true or false when that is the
// answer, nullopt when the key must be evaluated on the message (not
// indexed yet, too large, or a key the index only narrows down).
using IndexAnswer = std::function<std::optional<bool>(const SearchNode& key, const SearchMessage& message)>;

struct SearchContext {
    uint32_t message_count = 0;  // '*' in message sequence sets
    uint32_t max_uid = 0;        // '*' in UID sets: the highest UID in the mailbox
    // Time zone of BEFORE/ON/SINCE, seconds east of UTC; nullopt: the
    // server's local time zone (with its daylight saving rules) at each date.
    std::optional<int32_t> utc_offset;
    // Optional: the work allowed, charged as string keys scan text. Must
    // outlive the evaluator; null for no limit (SORT, THREAD, tests).
    SearchBudget* budget = nullptr;
    // Optional: consulted before a string key reads a message. The query the
    // evaluator was made from must outlive it (keys are its nodes).
    IndexAnswer index;
};

// What the evaluation of a query (or a SORT/THREAD) reads, cheapest first:
// nothing beyond the index row; the parsed structure (envelope fields);
// the header block; the whole message. A hint for the session (e.g. to
// batch reads): a message whose structure has no envelope makes envelope
// keys read the header block instead.
enum class ContentNeed : uint8_t { none = 0, structure = 1, header = 2, full = 3 };

ContentNeed content_need(const SearchNode& node);
ContentNeed content_need(const SearchQuery& query);
// True when evaluation may read message data (structure, header or raw).
bool needs_content(const SearchQuery& query);
// True when the query has a MODSEQ key, so SEARCH answers carry (MODSEQ n).
bool uses_modseq(const SearchQuery& query);

class SearchEvaluator {
public:
    // Prepares the query once (folded strings, resolved sets and dates).
    SearchEvaluator(const SearchQuery& query, const SearchContext& context);
    ~SearchEvaluator();
    SearchEvaluator(SearchEvaluator&&) noexcept;
    SearchEvaluator& operator=(SearchEvaluator&&) noexcept;

    bool matches(const SearchMessage& message) const;
    ContentNeed need() const { return need_; }

    struct Node;

private:
    std::unique_ptr<Node> root_;
    SearchContext context_;
    ContentNeed need_ = ContentNeed::none;
};

// The messages of `messages` (in the order given) that match, as indices.
std::vector<size_t> search_messages(const SearchEvaluator& evaluator, const std::vector<SearchMessage>& messages);

}  // namespace pochta::imap
