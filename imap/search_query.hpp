// SEARCH criteria (RFC 3501 6.4.4, RFC 9051 6.4.4, CONDSTORE's MODSEQ from
// RFC 7162, ESEARCH's RETURN options from RFC 4731) parsed from the command's
// tokens into a tree. Only parsing: the evaluation against messages lives
// with the search command.
//
// The tree is small on purpose: keys that are a combination of others are
// expanded here, so the evaluator has fewer cases. UNSEEN is NOT(flag \Seen),
// UNKEYWORD k is NOT(keyword k), OLD is NOT(RECENT), NEW is
// AND(RECENT, NOT(flag \Seen)); FROM/TO/CC/BCC/SUBJECT are header keys.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "imap/parser.hpp"
#include "imap/seqset.hpp"

namespace pochta::imap {

// A calendar date as IMAP writes it ("1-Feb-1994"); compared as a day, the
// time zone question is the evaluator's (RFC 3501: the date is the day
// disregarding time and timezone).
struct SearchDate {
    int year = 0;
    int month = 0;  // 1..12
    int day = 0;    // 1..31, valid for the month
    auto operator<=>(const SearchDate&) const = default;
};

// "d-Mon-yyyy" with a one- or two-digit day; nullopt for anything else,
// including 31-Apr and 29-Feb of a non-leap year.
std::optional<SearchDate> parse_search_date(std::string_view text);

struct SearchNode {
    enum class Kind {
        all,
        and_,         // every child matches (a parenthesized list, the whole query)
        or_,          // either of two children
        not_,         // the one child does not match
        sequence,     // set: message sequence numbers
        uid,          // set: UIDs
        flag,         // text: system flag with its backslash, e.g. "\Seen"
        keyword,      // text: keyword as sent
        recent,
        header,       // field: header field name ("From" for FROM), text: substring, may be empty
        body,         // text
        text,         // text: header or body
        before,       // internal date, date
        on,
        since,
        sent_before,  // Date: header field, date
        sent_on,
        sent_since,
        saved_before,        // SAVEDATE (RFC 8514; the internal date where none is kept), date
        saved_on,
        saved_since,
        savedate_supported,  // every message here has a SAVEDATE
        emailid,             // OBJECTID (RFC 8474), text
        threadid,            // text; no message has a THREADID
        larger,       // number: RFC822.SIZE
        smaller,
        modseq,       // number; entry_name/entry_type when given
    };
    Kind kind = Kind::all;
    std::vector<SearchNode> children;
    std::string field;
    std::string text;
    SeqSet set;
    SearchDate date;
    uint64_t number = 0;
    std::string entry_name;  // MODSEQ "/flags/\\draft"
    std::string entry_type;  // MODSEQ priv / shared / all, lower case
};

// ESEARCH RETURN options; "RETURN ()" means ALL.
struct SearchReturn {
    bool requested = false;  // a RETURN clause was given: answer with ESEARCH
    bool min = false;
    bool max = false;
    bool all = false;
    bool count = false;
    bool save = false;
};

struct SearchQuery {
    SearchReturn options;
    std::string charset = "UTF-8";  // as given, upper case; UTF-8 when absent
    SearchNode root;                // Kind::and_ of the top-level keys
};

struct SearchError {
    enum class Kind {
        syntax,       // tagged BAD
        bad_charset,  // tagged NO [BADCHARSET (UTF-8 US-ASCII)]
        limit,        // over kMaxSearchString or kMaxSearchKeys: tagged NO [LIMIT]
    };
    Kind kind = Kind::syntax;
    std::string reason;
};

inline constexpr size_t kMaxSearchDepth = 32;
// A search string (BODY, TEXT, HEADER, FROM...) longer than this is refused
// with NO [LIMIT], as are queries of more keys (README, "IMAP": SEARCH
// limits): generous for any client, small enough that a SEARCH costs about
// the size of the text it scans.
inline constexpr size_t kMaxSearchString = 1000;
inline constexpr size_t kMaxSearchKeys = 256;

// The list after RETURN (RFC 4731; SORT's too, RFC 5267): "()" means ALL.
bool parse_return_options(const Token& list, SearchReturn& options, SearchError& error);

// `args` are the SEARCH (or UID SEARCH) arguments after the command name.
std::optional<SearchQuery> parse_search(std::span<const Token> args, SearchError& error);

}  // namespace pochta::imap
