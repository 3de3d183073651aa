// SEARCH results as responses: the classic "* SEARCH 1 2 3" (RFC 3501,
// with CONDSTORE's "(MODSEQ n)", RFC 7162 3.1.5) and ESEARCH (RFC 4731,
// "* ESEARCH (TAG "A1") UID MIN 2 MAX 9 COUNT 5 ALL 2:4,9"), plus what
// RETURN (SAVE) keeps and how "$" is read in SEARCH criteria (RFC 5182).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "imap/parser.hpp"
#include "imap/search_query.hpp"
#include "imap/seqset.hpp"

namespace pochta::imap {

// One matching message: its sequence number or UID (whatever the command
// reports), and its MODSEQ.
struct SearchHit {
    uint32_t number = 0;
    uint64_t modseq = 0;
};

// "* SEARCH 2 3 5\r\n" in the order given (ascending for SEARCH). With
// `with_modseq` (the query had a MODSEQ key) and at least one hit,
// " (MODSEQ n)" is appended, n the highest modseq of the hits.
std::string format_search_response(const std::vector<SearchHit>& hits, bool with_modseq);

// True unless SAVE is the only RETURN option: then RFC 5182 says no
// ESEARCH response is sent.
bool esearch_has_response(const SearchReturn& options);

// The ESEARCH response for `hits` (ascending by number; with `sort_order`,
// ESORT's answer to SORT RETURN (RFC 5267): hits in sort order, MIN/MAX
// the first/last of them, ALL in that order). MIN, MAX and ALL
// are left out when nothing matched; COUNT is always given when asked for.
// With `with_modseq` and a non-empty result, MODSEQ is the highest modseq
// of the messages reported: those of MIN/MAX when only they were asked
// for, otherwise of every hit (RFC 7162 3.1.5).
std::string format_esearch_response(std::string_view tag, bool uid, const SearchReturn& options,
                                    const std::vector<SearchHit>& hits, bool with_modseq, bool sort_order = false);

// The numbers RETURN (SAVE ...) keeps as "$" (RFC 5182 2.1): only the
// MIN and/or MAX message when SAVE comes with MIN or MAX but not ALL or
// COUNT, otherwise every hit. Empty when SAVE was not asked for.
std::vector<uint32_t> saved_numbers(const SearchReturn& options, const std::vector<SearchHit>& hits,
                                    bool sort_order = false);

// Every set of `node`'s tree parsed from "$" becomes a UID key over
// `saved_uids` (the session keeps the saved result as UIDs).
void substitute_saved(SearchNode& node, const SeqSet& saved_uids);

// Whether the arguments ask for RETURN (SAVE ...), read from the tokens so
// it is known even when the criteria fail to parse: a SEARCH with SAVE that
// ends in NO empties the saved result, one that ends in BAD leaves it.
bool requests_save(std::span<const Token> args);

}  // namespace pochta::imap
