// SORT (RFC 5256) with the DISPLAYFROM/DISPLAYTO keys of RFC 5957: the
// command's arguments, the ordering, and the "* SORT" response.
//
// Keys (RFC 5256 section 3):
// - ARRIVAL: INTERNALDATE; SIZE: RFC822.SIZE.
// - DATE: the Date: field as an instant (zone applied); INTERNALDATE when
//   the field is missing or unparsable (section 2.2).
// - FROM/TO/CC: the local part of the first mailbox of the field; "" when
//   there is none. SUBJECT: the base subject (imap/base_subject.hpp).
//   Compared with i;ascii-casemap, the default collation.
// - DISPLAYFROM/DISPLAYTO: the decoded display name of the first mailbox,
//   else its "local@domain"; compared with i;unicode-casemap
//   (imap/casemap.hpp).
// The keys come prepared for their comparator (imap/sort_keys.hpp), so
// comparing them is comparing octets.
// - REVERSE reverses the key after it. Messages equal on every key stay in
//   mailbox (sequence number) order.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "imap/parser.hpp"
#include "imap/search_eval.hpp"
#include "imap/search_query.hpp"
#include "imap/sort_keys.hpp"

namespace pochta::imap {

struct SortCriterion {
    enum class Key { arrival, cc, date, from, size, subject, to, display_from, display_to };
    Key key = Key::arrival;
    bool reverse = false;
    bool operator==(const SortCriterion&) const = default;
};

// The parenthesized sort criteria, e.g. "(REVERSE DATE SUBJECT)"; nullopt
// with `error` set for an empty list, an unknown key, a REVERSE with
// nothing (or another REVERSE) after it.
std::optional<std::vector<SortCriterion>> parse_sort_criteria(const Token& list, std::string& error);

struct SortCommand {
    std::vector<SortCriterion> criteria;
    SearchQuery query;  // charset from the command; options from ESORT's RETURN (RFC 5267)
};

// The arguments of SORT / UID SORT: "[RETURN (options)] (criteria) charset search-keys".
// Charsets other than UTF-8 and US-ASCII give SearchError::bad_charset.
std::optional<SortCommand> parse_sort_command(std::span<const Token> args, SearchError& error);

// True when sorting by these criteria needs more than the index row
// (ARRIVAL and SIZE): the messages' SortKeys.
bool sort_needs_keys(const std::vector<SortCriterion>& criteria);

// The order of `messages` (indices into it) by the criteria.
std::vector<size_t> sort_messages(const std::vector<KeyedMessage>& messages,
                                  const std::vector<SortCriterion>& criteria);

// "* SORT 5 3 4\r\n", with " (MODSEQ n)" (n the highest modseq of the
// listed messages) when with_modseq and the list is not empty (RFC 7162).
std::string format_sort_response(const std::vector<uint32_t>& numbers, std::optional<uint64_t> highest_modseq);

}  // namespace pochta::imap
