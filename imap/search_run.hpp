// The first step of SEARCH, SORT and THREAD on a store worker: which of
// the selected mailbox's messages match the criteria (imap/cmd_search.cpp),
// within the work one search may do (README, "IMAP": SEARCH limits).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "imap/mailbox_view.hpp"
#include "imap/search_eval.hpp"
#include "imap/search_query.hpp"
#include "store/store.hpp"

namespace pochta::imap {

struct SearchCandidate {
    uint32_t seq = 0;
    uint32_t uid = 0;
    bool recent = false;
};

struct SearchMatch {
    uint32_t seq = 0;
    uint32_t uid = 0;
    uint64_t modseq = 0;  // wire value
    int64_t internal_date = 0;  // for SORT and THREAD
    uint64_t size = 0;
};

struct SearchFound {
    std::vector<SearchMatch> hits;  // in candidate (sequence) order
    bool too_expensive = false;     // stopped by the budget: no result
};

// The view's messages that are not expunged, in sequence order.
std::vector<SearchCandidate> search_candidates(const MailboxView& view);

// What the index row tells the evaluator, without content callbacks: all
// a query that reads nothing of the messages looks at (SORT, THREAD).
SearchMessage row_message(const SearchCandidate& candidate, const store::MessageInfo& info);

// Evaluates `query` over `candidates` (blocking: on a store worker).
SearchFound evaluate_search(store::Store& store, const std::string& user, int64_t mailbox_id,
                            const SearchQuery& query, SearchContext context,
                            const std::vector<SearchCandidate>& candidates);

}  // namespace pochta::imap
