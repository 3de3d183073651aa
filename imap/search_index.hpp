// SEARCH and the store's full-text index (README.md, "Full-text search"):
// what the index keeps of a message, and the answers it gives for string
// keys. The index holds exactly the folded text the scan compares (imap/
// search_text.hpp), so an FTS5 trigram phrase match is the scan's substring
// match: BODY and TEXT are answered from it; header keys (FROM, SUBJECT...)
// and long strings are narrowed by it, the messages it may match being
// checked by the scan.
// What it cannot answer exactly (strings shorter than three characters,
// invalid UTF-8, messages not indexed yet or too large) is scanned.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "imap/search_eval.hpp"
#include "imap/search_query.hpp"
#include "store/store.hpp"

namespace pochta::imap {

// The store's TextMaker: folded header text, the other forms of address
// fields header keys match, folded body text. Bytes that are not UTF-8 (and
// NUL) become U+FFFD, which no indexed lookup contains.
store::IndexedText make_indexed_text(std::string_view raw, const std::string& structure);

// How the index is asked about a string key: one exact substring lookup,
// or (header keys, strings of more than 12 characters) lookups whose
// common answer holds every match, to be checked by the scan. nullopt: the
// index cannot answer (fewer than 3 characters, bytes it never keeps).
struct IndexLookup {
    std::vector<store::TextKey> keys;
    bool exact = false;
};
std::optional<IndexLookup> index_lookup(const SearchNode& node);

class IndexAnswers {
public:
    // One question to the store for every string key of the query, about
    // the messages with ids in [min_id, max_id]. nullopt without such keys.
    // Whether the query has a string key the index could answer.
    static bool applies(const SearchQuery& query);
    static std::optional<IndexAnswers> ask(store::Store& store, const std::string& user, const SearchQuery& query,
                                           int64_t min_id, int64_t max_id);

    std::optional<bool> answer(const SearchNode& key, const SearchMessage& message) const;
    // True when the index alone shows that the message cannot match `node`
    // (a part of the query asked): a string key it was asked about does
    // not hold the indexed message, in every branch of an OR or in one
    // term of an AND. SEARCH reads no row of such a message.
    bool rules_out(const SearchNode& node, int64_t message_id) const;

private:
    struct Found {
        bool exact = false;  // BODY, TEXT: the answer; header keys: a superset
        std::vector<int64_t> ids;
    };
    std::vector<int64_t> indexed_;
    std::unordered_map<const SearchNode*, Found> keys_;
};

}  // namespace pochta::imap
