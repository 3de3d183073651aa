#include "imap/search_query.hpp"

#include <array>
#include <utility>

#include "common/util/strings.hpp"

namespace pochta::imap {

namespace {

constexpr uint64_t kMaxNumber = INT64_MAX;  // RFC 9051 number64 and mod-sequence-value

using Kind = SearchNode::Kind;

struct FlagKey {
    std::string_view name;
    std::string_view flag;
    bool negated;
};
constexpr std::array<FlagKey, 10> kFlagKeys{{
    {"ANSWERED", "\\Answered", false}, {"UNANSWERED", "\\Answered", true},
    {"DELETED", "\\Deleted", false},   {"UNDELETED", "\\Deleted", true},
    {"DRAFT", "\\Draft", false},       {"UNDRAFT", "\\Draft", true},
    {"FLAGGED", "\\Flagged", false},   {"UNFLAGGED", "\\Flagged", true},
    {"SEEN", "\\Seen", false},         {"UNSEEN", "\\Seen", true},
}};

struct StringKey {
    std::string_view name;
    Kind kind;
    std::string_view field;  // for header keys
};
constexpr std::array<StringKey, 7> kStringKeys{{
    {"BCC", Kind::header, "Bcc"},
    {"CC", Kind::header, "Cc"},
    {"FROM", Kind::header, "From"},
    {"SUBJECT", Kind::header, "Subject"},
    {"TO", Kind::header, "To"},
    {"BODY", Kind::body, ""},
    {"TEXT", Kind::text, ""},
}};

struct NamedKind {
    std::string_view name;
    Kind kind;
};
constexpr std::array<NamedKind, 9> kDateKeys{{
    {"BEFORE", Kind::before},
    {"ON", Kind::on},
    {"SINCE", Kind::since},
    {"SENTBEFORE", Kind::sent_before},
    {"SENTON", Kind::sent_on},
    {"SENTSINCE", Kind::sent_since},
    {"SAVEDBEFORE", Kind::saved_before},
    {"SAVEDON", Kind::saved_on},
    {"SAVEDSINCE", Kind::saved_since},
}};

constexpr std::array<std::string_view, 12> kMonths{"jan", "feb", "mar", "apr", "may", "jun",
                                                   "jul", "aug", "sep", "oct", "nov", "dec"};

int days_in_month(int year, int month) {
    static constexpr int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return month == 2 && leap ? 29 : days[month - 1];
}

SearchNode leaf(Kind kind) {
    SearchNode node;
    node.kind = kind;
    return node;
}

SearchNode negate(SearchNode child) {
    SearchNode node = leaf(Kind::not_);
    node.children.push_back(std::move(child));
    return node;
}

SearchNode flag_node(std::string_view flag) {
    SearchNode node = leaf(Kind::flag);
    node.text = flag;
    return node;
}

// A token's text fit for an error message: short and printable.
std::string shown(const Token& token) {
    if (token.is_list()) return "(...)";
    std::string out(std::string_view(token.text).substr(0, 32));
    for (char& c : out)
        if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) c = '?';
    return out;
}

class SearchParser {
public:
    explicit SearchParser(SearchError& error) : error_(error) {}

    // Parses keys until the end of `tokens` into parent.children.
    bool parse_keys(std::span<const Token> tokens, SearchNode& parent, size_t depth) {
        if (tokens.empty()) return fail("missing search criteria");
        size_t pos = 0;
        while (pos < tokens.size()) {
            SearchNode node;
            if (!parse_key(tokens, pos, node, depth)) return false;
            parent.children.push_back(std::move(node));
        }
        return true;
    }

private:
    bool fail(std::string reason, SearchError::Kind kind = SearchError::Kind::syntax) {
        error_.kind = kind;
        error_.reason = std::move(reason);
        return false;
    }

    bool parse_key(std::span<const Token> tokens, size_t& pos, SearchNode& out, size_t depth) {
        if (depth > kMaxSearchDepth) return fail("search criteria nested too deeply");
        if (++keys_ > kMaxSearchKeys) return fail("Too many search keys", SearchError::Kind::limit);
        const Token& token = tokens[pos++];
        if (token.is_list()) {
            out = leaf(Kind::and_);
            return parse_keys(token.children, out, depth + 1);
        }
        if (!token.is_atom()) return fail("unexpected search key " + shown(token));
        std::string_view key = token.text;
        // "$" is SEARCHRES's saved result (RFC 5182), a set like any other.
        if (!key.empty() && ((key[0] >= '0' && key[0] <= '9') || key[0] == '*' || key == "$")) {
            out = leaf(Kind::sequence);
            return set_argument(key, out);
        }
        std::string name = to_upper(key);
        if (name == "ALL") return (out = leaf(Kind::all), true);
        if (name == "RECENT") return (out = leaf(Kind::recent), true);
        if (name == "SAVEDATESUPPORTED") return (out = leaf(Kind::savedate_supported), true);
        if (name == "EMAILID" || name == "THREADID") {
            out = leaf(name == "EMAILID" ? Kind::emailid : Kind::threadid);
            return string_argument(tokens, pos, name, out.text);
        }
        if (name == "OLD") return (out = negate(leaf(Kind::recent)), true);
        if (name == "NEW") {
            out = leaf(Kind::and_);
            out.children.push_back(leaf(Kind::recent));
            out.children.push_back(negate(flag_node("\\Seen")));
            return true;
        }
        for (const FlagKey& f : kFlagKeys)
            if (name == f.name) return (out = f.negated ? negate(flag_node(f.flag)) : flag_node(f.flag), true);
        for (const StringKey& s : kStringKeys) {
            if (name != s.name) continue;
            out = leaf(s.kind);
            out.field = s.field;
            return string_argument(tokens, pos, name, out.text);
        }
        for (const NamedKind& d : kDateKeys) {
            if (name != d.name) continue;
            out = leaf(d.kind);
            return date_argument(tokens, pos, name, out.date);
        }
        if (name == "HEADER") {
            out = leaf(Kind::header);
            if (!string_argument(tokens, pos, name, out.field) || !string_argument(tokens, pos, name, out.text))
                return false;
            return valid_field_name(out.field) || fail("invalid header field name");
        }
        if (name == "KEYWORD" || name == "UNKEYWORD") {
            SearchNode node = leaf(Kind::keyword);
            if (!keyword_argument(tokens, pos, name, node.text)) return false;
            out = name == "KEYWORD" ? std::move(node) : negate(std::move(node));
            return true;
        }
        if (name == "LARGER" || name == "SMALLER") {
            out = leaf(name == "LARGER" ? Kind::larger : Kind::smaller);
            return number_argument(tokens, pos, name, out.number);
        }
        if (name == "UID") {
            out = leaf(Kind::uid);
            if (pos >= tokens.size() || !tokens[pos].is_atom()) return fail("UID needs a sequence set");
            return set_argument(tokens[pos++].text, out);
        }
        if (name == "NOT") {
            if (pos >= tokens.size()) return fail("NOT needs a search key");
            SearchNode child;
            if (!parse_key(tokens, pos, child, depth + 1)) return false;
            out = negate(std::move(child));
            return true;
        }
        if (name == "OR") {
            out = leaf(Kind::or_);
            for (int i = 0; i < 2; ++i) {
                if (pos >= tokens.size()) return fail("OR needs two search keys");
                SearchNode child;
                if (!parse_key(tokens, pos, child, depth + 1)) return false;
                out.children.push_back(std::move(child));
            }
            return true;
        }
        if (name == "MODSEQ") {
            out = leaf(Kind::modseq);
            return modseq_arguments(tokens, pos, out);
        }
        return fail("unknown search key " + shown(token));
    }

    bool set_argument(std::string_view text, SearchNode& out) {
        std::optional<SeqSet> set = SeqSet::parse(text);
        if (!set) return fail("invalid sequence set");
        out.set = std::move(*set);
        return true;
    }

    bool string_argument(std::span<const Token> tokens, size_t& pos, std::string_view key, std::string& out) {
        if (pos >= tokens.size()) return fail(std::string(key) + " needs an argument");
        std::optional<std::string_view> s = tokens[pos++].astring();
        if (!s) return fail(std::string(key) + " needs a string");
        if (s->size() > kMaxSearchString) return fail("Search string too long", SearchError::Kind::limit);
        out = *s;
        return true;
    }

    bool keyword_argument(std::span<const Token> tokens, size_t& pos, std::string_view key, std::string& out) {
        if (pos >= tokens.size()) return fail(std::string(key) + " needs a keyword");
        const Token& token = tokens[pos++];
        // flag-keyword is an atom; a backslash would make it a system flag.
        bool ok = token.is_atom() && !token.text.empty() && token.text.front() != '\\';
        for (unsigned char c : token.text) ok = ok && c > 0x20 && c < 0x7f && c != ']' && c != '%' && c != '*';
        if (!ok) return fail("invalid keyword");
        out = token.text;
        return true;
    }

    bool date_argument(std::span<const Token> tokens, size_t& pos, std::string_view key, SearchDate& out) {
        if (pos >= tokens.size()) return fail(std::string(key) + " needs a date");
        const Token& token = tokens[pos++];
        std::optional<SearchDate> date;
        if (token.is_atom() || token.type == Token::Type::quoted) date = parse_search_date(token.text);
        if (!date) return fail("invalid date for " + std::string(key));
        out = *date;
        return true;
    }

    bool number_argument(std::span<const Token> tokens, size_t& pos, std::string_view key, uint64_t& out) {
        if (pos >= tokens.size()) return fail(std::string(key) + " needs a number");
        const Token& token = tokens[pos++];
        std::optional<uint64_t> n = token.is_atom() ? parse_uint(token.text) : std::nullopt;
        if (!n || *n > kMaxNumber) return fail("invalid number for " + std::string(key));
        out = *n;
        return true;
    }

    // MODSEQ [entry-name entry-type-req] mod-sequence-valzer (RFC 7162 3.1.5)
    bool modseq_arguments(std::span<const Token> tokens, size_t& pos, SearchNode& out) {
        if (pos < tokens.size() && tokens[pos].is_string()) {
            out.entry_name = tokens[pos++].text;
            if (out.entry_name.rfind("/flags/", 0) != 0 || out.entry_name.size() == 7)
                return fail("invalid MODSEQ entry name");
            if (pos >= tokens.size() || !tokens[pos].is_atom()) return fail("MODSEQ needs an entry type");
            out.entry_type = pochta::to_lower(tokens[pos++].text);
            if (out.entry_type != "priv" && out.entry_type != "shared" && out.entry_type != "all")
                return fail("invalid MODSEQ entry type");
        }
        return number_argument(tokens, pos, "MODSEQ", out.number);
    }

    static bool valid_field_name(std::string_view name) {
        if (name.empty() || name.size() > 256) return false;
        for (unsigned char c : name)
            if (c <= 0x20 || c >= 0x7f || c == ':') return false;
        return true;
    }

    static std::string to_upper(std::string_view s) {
        std::string out(s);
        for (char& c : out)
            if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
        return out;
    }

    SearchError& error_;
    size_t keys_ = 0;
};

}  // namespace

std::optional<SearchDate> parse_search_date(std::string_view text) {
    size_t dash = text.find('-');
    if (dash == std::string_view::npos || dash == 0 || dash > 2) return std::nullopt;
    std::optional<uint64_t> day = parse_uint(text.substr(0, dash));
    std::string_view rest = text.substr(dash + 1);
    if (!day || rest.size() != 8 || rest[3] != '-') return std::nullopt;
    std::optional<uint64_t> year = parse_uint(rest.substr(4));
    if (!year || *year < 1) return std::nullopt;
    std::string month_name = pochta::to_lower(rest.substr(0, 3));
    int month = 0;
    for (size_t i = 0; i < kMonths.size(); ++i)
        if (month_name == kMonths[i]) month = static_cast<int>(i) + 1;
    if (month == 0) return std::nullopt;
    SearchDate date{static_cast<int>(*year), month, static_cast<int>(*day)};
    if (date.day < 1 || date.day > days_in_month(date.year, month)) return std::nullopt;
    return date;
}

bool parse_return_options(const Token& list, SearchReturn& options, SearchError& error) {
    if (!list.is_list()) {
        error = {SearchError::Kind::syntax, "RETURN needs a list of options"};
        return false;
    }
    options.requested = true;
    for (const Token& option : list.children) {
        std::string_view o = option.is_atom() ? std::string_view(option.text) : std::string_view();
        if (iequals(o, "MIN")) options.min = true;
        else if (iequals(o, "MAX")) options.max = true;
        else if (iequals(o, "ALL")) options.all = true;
        else if (iequals(o, "COUNT")) options.count = true;
        else if (iequals(o, "SAVE")) options.save = true;
        else {
            error = {SearchError::Kind::syntax, "unknown RETURN option"};
            return false;
        }
    }
    if (!options.min && !options.max && !options.all && !options.count && !options.save) options.all = true;
    return true;
}

std::optional<SearchQuery> parse_search(std::span<const Token> args, SearchError& error) {
    SearchQuery query;
    size_t pos = 0;
    if (pos < args.size() && args[pos].is_atom() && iequals(args[pos].text, "RETURN")) {
        ++pos;
        if (pos >= args.size() || !parse_return_options(args[pos++], query.options, error)) return std::nullopt;
    }
    if (pos < args.size() && args[pos].is_atom() && iequals(args[pos].text, "CHARSET")) {
        ++pos;
        std::optional<std::string_view> charset = pos < args.size() ? args[pos].astring() : std::nullopt;
        if (!charset) {
            error = {SearchError::Kind::syntax, "CHARSET needs a name"};
            return std::nullopt;
        }
        ++pos;
        if (!iequals(*charset, "UTF-8") && !iequals(*charset, "US-ASCII")) {
            error = {SearchError::Kind::bad_charset, "unsupported charset"};
            return std::nullopt;
        }
        query.charset = iequals(*charset, "UTF-8") ? "UTF-8" : "US-ASCII";
    }
    query.root.kind = Kind::and_;
    SearchParser parser(error);
    if (!parser.parse_keys(args.subspan(pos), query.root, 0)) return std::nullopt;
    return query;
}

}  // namespace pochta::imap
