#include "imap/sort.hpp"

#include <algorithm>
#include <array>

#include "common/mime/address_list.hpp"
#include "common/mime/encoded_word.hpp"
#include "common/mime/message_date.hpp"
#include "common/util/strings.hpp"
#include "imap/base_subject.hpp"
#include "imap/search_text.hpp"
#include "imap/casemap.hpp"

namespace pochta::imap {

namespace {

using Key = SortCriterion::Key;

// Enough entries to get past a few leading groups to the first mailbox.
constexpr size_t kMaxAddressEntries = 64;

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

const mime::AddressEntry* first_mailbox(const std::vector<mime::AddressEntry>& entries) {
    for (const mime::AddressEntry& e : entries)
        if (e.kind == mime::AddressEntry::Kind::mailbox) return &e;
    return nullptr;
}

// RFC 5256: the addr-mailbox (local part) of the first address.
std::string mailbox_key(const std::optional<std::string>& field) {
    if (!field) return {};
    std::vector<mime::AddressEntry> entries = mime::parse_address_list(*field, kMaxAddressEntries);
    const mime::AddressEntry* first = first_mailbox(entries);
    return first ? ascii_upper(first->mailbox) : std::string();
}

// RFC 5957: the decoded display name of the first address, else its addr-spec.
std::string display_key(const std::optional<std::string>& field) {
    if (!field) return {};
    std::vector<mime::AddressEntry> entries = mime::parse_address_list(*field, kMaxAddressEntries);
    const mime::AddressEntry* first = first_mailbox(entries);
    if (!first) return {};
    if (first->name) {
        std::string name(trim(mime::decode_encoded_words(*first->name)));
        if (!name.empty()) return casemap(name);
    }
    std::string spec = first->mailbox;
    if (first->host) spec += "@" + *first->host;
    return casemap(spec);
}

struct SortValues {
    std::vector<int64_t> numbers;      // one per criterion (numeric keys)
    std::vector<std::string> strings;  // one per criterion (text keys)
};

SortValues values_of(const SearchMessage& m, const std::vector<SortCriterion>& criteria, bool need_structure) {
    static const mime::EnvelopeFields no_envelope;
    const mime::EnvelopeFields* envelope = &no_envelope;
    if (need_structure && m.structure) {
        const mime::Part& root = m.structure().root;
        if (root.envelope) envelope = &*root.envelope;
    }
    SortValues v;
    v.numbers.resize(criteria.size());
    v.strings.resize(criteria.size());
    for (size_t i = 0; i < criteria.size(); ++i) {
        switch (criteria[i].key) {
            case Key::arrival: v.numbers[i] = m.internal_date; break;
            case Key::size: v.numbers[i] = static_cast<int64_t>(std::min<uint64_t>(m.size, INT64_MAX)); break;
            case Key::date: v.numbers[i] = mime::sent_time(envelope->date, m.internal_date); break;
            case Key::from: v.strings[i] = mailbox_key(envelope->from); break;
            case Key::to: v.strings[i] = mailbox_key(envelope->to); break;
            case Key::cc: v.strings[i] = mailbox_key(envelope->cc); break;
            case Key::subject: v.strings[i] = ascii_upper(base_subject(envelope->subject.value_or("")).text); break;
            case Key::display_from: v.strings[i] = display_key(envelope->from); break;
            case Key::display_to: v.strings[i] = display_key(envelope->to); break;
        }
    }
    return v;
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

ContentNeed sort_content_need(const std::vector<SortCriterion>& criteria) {
    for (const SortCriterion& c : criteria)
        if (c.key != Key::arrival && c.key != Key::size) return ContentNeed::structure;
    return ContentNeed::none;
}

std::vector<size_t> sort_messages(const std::vector<SearchMessage>& messages,
                                  const std::vector<SortCriterion>& criteria) {
    bool need_structure = sort_content_need(criteria) != ContentNeed::none;
    std::vector<SortValues> values;
    values.reserve(messages.size());
    for (const SearchMessage& m : messages) values.push_back(values_of(m, criteria, need_structure));

    std::vector<size_t> order(messages.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    auto less = [&](size_t a, size_t b) {
        for (size_t i = 0; i < criteria.size(); ++i) {
            int cmp = 0;
            if (numeric(criteria[i].key)) {
                int64_t x = values[a].numbers[i], y = values[b].numbers[i];
                cmp = x < y ? -1 : x > y ? 1 : 0;
            } else {
                int c = values[a].strings[i].compare(values[b].strings[i]);
                cmp = c < 0 ? -1 : c > 0 ? 1 : 0;
            }
            if (criteria[i].reverse) cmp = -cmp;
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
