#include "imap/sort.hpp"

#include <algorithm>
#include <array>

#include "common/util/strings.hpp"

namespace pochta::imap {

namespace {

using Key = SortCriterion::Key;

struct NamedKey {
    std::string_view name;
    Key key;
};
constexpr std::array<NamedKey, 9> kKeys{{
    {"ARRIVAL", Key::arrival},
    {"CC", Key::cc},
    {"DATE", Key::date},
    {"FROM", Key::from},
    {"SIZE", Key::size},
    {"SUBJECT", Key::subject},
    {"TO", Key::to},
    {"DISPLAYFROM", Key::display_from},
    {"DISPLAYTO", Key::display_to},
}};

bool numeric(Key key) { return key == Key::arrival || key == Key::date || key == Key::size; }

int64_t number_of(const KeyedMessage& m, Key key) {
    switch (key) {
        case Key::arrival: return m.internal_date;
        case Key::size: return static_cast<int64_t>(std::min<uint64_t>(m.size, INT64_MAX));
        default: return m.sent_date();
    }
}

const std::string& text_of(const KeyedMessage& m, Key key) {
    switch (key) {
        case Key::from: return m.keys.from;
        case Key::to: return m.keys.to;
        case Key::cc: return m.keys.cc;
        case Key::subject: return m.keys.subject;
        case Key::display_from: return m.keys.display_from;
        default: return m.keys.display_to;
    }
}

int compare_by(const KeyedMessage& a, const KeyedMessage& b, Key key) {
    if (numeric(key)) {
        int64_t x = number_of(a, key), y = number_of(b, key);
        return x < y ? -1 : x > y ? 1 : 0;
    }
    int c = text_of(a, key).compare(text_of(b, key));
    return c < 0 ? -1 : c > 0 ? 1 : 0;
}

}  // namespace

std::optional<std::vector<SortCriterion>> parse_sort_criteria(const Token& list, std::string& error) {
    if (!list.is_list() || list.children.empty()) {
        error = "SORT needs a list of sort criteria";
        return std::nullopt;
    }
    std::vector<SortCriterion> criteria;
    bool reverse = false;
    for (const Token& token : list.children) {
        std::string_view name = token.is_atom() ? std::string_view(token.text) : std::string_view();
        if (iequals(name, "REVERSE")) {
            if (reverse) {
                error = "REVERSE twice";
                return std::nullopt;
            }
            reverse = true;
            continue;
        }
        const NamedKey* found = nullptr;
        for (const NamedKey& k : kKeys)
            if (iequals(name, k.name)) found = &k;
        if (!found) {
            error = "unknown sort criterion";
            return std::nullopt;
        }
        criteria.push_back({found->key, reverse});
        reverse = false;
    }
    if (reverse) {
        error = "REVERSE needs a sort key after it";
        return std::nullopt;
    }
    return criteria;
}

std::optional<SortCommand> parse_sort_command(std::span<const Token> args, SearchError& error) {
    error = {SearchError::Kind::syntax, {}};
    SortCommand command;
    // ESORT (RFC 5267): "SORT RETURN (options) (criteria) ...".
    if (!args.empty() && args[0].is_atom() && iequals(args[0].text, "RETURN")) {
        if (args.size() < 2 || !parse_return_options(args[1], command.query.options, error)) return std::nullopt;
        args = args.subspan(2);
    }
    if (args.empty() || !args[0].is_list()) {
        error.reason = "SORT needs a list of sort criteria";
        return std::nullopt;
    }
    std::optional<std::vector<SortCriterion>> criteria = parse_sort_criteria(args[0], error.reason);
    if (!criteria) return std::nullopt;
    command.criteria = std::move(*criteria);
    std::optional<std::string_view> charset = args.size() > 1 ? args[1].astring() : std::nullopt;
    if (!charset) {
        error.reason = "SORT needs a charset";
        return std::nullopt;
    }
    if (!iequals(*charset, "UTF-8") && !iequals(*charset, "US-ASCII")) {
        error = {SearchError::Kind::bad_charset, "unsupported charset"};
        return std::nullopt;
    }
    std::span<const Token> keys = args.subspan(2);
    // parse_search would take these prefixes; in SORT they are misplaced.
    if (!keys.empty() && keys[0].is_atom() && (iequals(keys[0].text, "RETURN") || iequals(keys[0].text, "CHARSET"))) {
        error.reason = "unexpected " + std::string(iequals(keys[0].text, "RETURN") ? "RETURN" : "CHARSET");
        return std::nullopt;
    }
    std::optional<SearchQuery> query = parse_search(keys, error);
    if (!query) return std::nullopt;
    query->options = command.query.options;
    command.query = std::move(*query);
    command.query.charset = iequals(*charset, "UTF-8") ? "UTF-8" : "US-ASCII";
    return command;
}

bool sort_needs_keys(const std::vector<SortCriterion>& criteria) {
    for (const SortCriterion& c : criteria)
        if (c.key != Key::arrival && c.key != Key::size) return true;
    return false;
}

std::vector<size_t> sort_messages(const std::vector<KeyedMessage>& messages,
                                  const std::vector<SortCriterion>& criteria) {
    std::vector<size_t> order(messages.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    auto less = [&](size_t a, size_t b) {
        for (const SortCriterion& criterion : criteria) {
            int cmp = compare_by(messages[a], messages[b], criterion.key);
            if (criterion.reverse) cmp = -cmp;
            if (cmp != 0) return cmp < 0;
        }
        return messages[a].seq < messages[b].seq;
    };
    std::sort(order.begin(), order.end(), less);
    return order;
}

std::string format_sort_response(const std::vector<uint32_t>& numbers, std::optional<uint64_t> highest_modseq) {
    std::string out = "* SORT";
    for (uint32_t n : numbers) out += " " + std::to_string(n);
    if (highest_modseq && !numbers.empty()) out += " (MODSEQ " + std::to_string(*highest_modseq) + ")";
    out += "\r\n";
    return out;
}

}  // namespace pochta::imap
