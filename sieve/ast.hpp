// The parsed form of a Sieve script (RFC 5228 section 8.2): commands with
// their arguments, tests and blocks. The parser fills the generic part; the
// validator checks every node against its command's or test's grammar and
// fills the resolved part the interpreter runs on (what the node is, its
// tagged and positional arguments, how it matches).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sieve/error.hpp"

namespace re2 {
class RE2;
}

namespace pochta::sieve {

struct Argument {
    enum class Kind : uint8_t { strings, number, tag };
    Kind kind = Kind::strings;
    Position position;
    std::vector<std::string> strings;  // one string, or the members of a bracketed list
    bool list = false;                 // written as [ ... ]
    uint64_t number = 0;
    std::string tag;                   // lowercased, without the ':'
};

// Every command and test pochta knows; the validator resolves names to these.
enum class Op : uint8_t {
    // control and actions
    require, if_, elsif, else_, stop, keep, discard, redirect, fileinto, reject, ereject, vacation,
    setflag, addflag, removeflag, set, addheader, deleteheader, include, return_, global, error,
    // tests
    address, allof, anyof, envelope, exists, false_, true_, not_, size, header, body, date, currentdate,
    string, hasflag, mailboxexists, duplicate, environment, ihave, spamtest, virustest,
    // a command or test inside an ihave block whose extension is missing: never run
    unknown,
};

enum class MatchType : uint8_t { is, contains, matches, regex, count, value };
enum class Relation : uint8_t { gt, ge, lt, le, eq, ne };
enum class Comparator : uint8_t { octet, ascii_casemap, ascii_numeric };
enum class AddressPart : uint8_t { all, localpart, domain, user, detail };

struct Match {
    MatchType type = MatchType::is;
    Relation relation = Relation::eq;  // for :count and :value
    Comparator comparator = Comparator::ascii_casemap;
    // :regex with keys that hold no variable: compiled once, in key order.
    std::vector<std::shared_ptr<const re2::RE2>> regexes;
};

struct Tagged {
    std::string name;  // without ':'
    Argument value;    // kind strings or number when the tag takes a value
};

struct Node {
    std::string name;  // lowercased identifier
    Position position;
    std::vector<Argument> arguments;  // as written
    std::vector<Node> tests;          // a command's test, or a test's tests
    std::vector<Node> block;          // commands in { }
    bool has_block = false;

    // Filled by the validator.
    Op op = Op::unknown;
    std::vector<Tagged> tagged;
    std::vector<Argument> positional;
    Match match;
    AddressPart address_part = AddressPart::all;

    // The tagged argument `name`, or null.
    const Tagged* tag(std::string_view name) const;
};

struct Script {
    std::vector<Node> commands;
    std::vector<std::string> extensions;  // require'd (lowercased)
    bool variables = false;               // "variables" is required: strings expand ${...}

    bool has_extension(std::string_view extension) const;
};

}  // namespace pochta::sieve
