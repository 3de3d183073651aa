#include "imap/search_index.hpp"

#include <algorithm>
#include <iterator>

#include "common/mime/header.hpp"
#include "common/util/log.hpp"
#include "common/util/strings.hpp"
#include "imap/casemap.hpp"
#include "imap/search_text.hpp"

namespace pochta::imap {

using Kind = SearchNode::Kind;

namespace {

constexpr uint32_t kReplacement = 0xFFFD;
constexpr size_t kMinCharacters = 3;  // the trigram tokenizer's shortest lookup
// A phrase of n trigrams costs FTS5 about n times the positions of its
// trigrams in a row, and one repetitive message can hold millions of one
// trigram: a longer string is looked up by its first and last this many
// characters, and the messages holding both are checked by the scan.
constexpr size_t kMaxLookupCharacters = 12;
constexpr uint32_t kMaxFieldBytes = 64 * 1024;  // as imap/search_text.cpp cuts them

// `text` with each byte that is not part of valid UTF-8, and each NUL, as
// U+FFFD: the tokenizer reads characters, the scan compares bytes, and on
// valid UTF-8 without NUL both agree.
std::string index_form(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (size_t i = 0; i < text.size();) {
        uint32_t cp = 0;
        size_t len = decode_utf8(text, i, cp);
        if (len == 0 || cp == 0) {
            append_utf8(out, kReplacement);
            i += std::max<size_t>(len, 1);
            continue;
        }
        out.append(text.substr(i, len));
        i += len;
    }
    return out;
}

// The characters of a needle the index can look up as byte offsets (one
// past the end last), or nothing when it holds bytes the index never keeps
// as they are.
std::vector<size_t> lookup_characters(std::string_view needle) {
    std::vector<size_t> starts;
    for (size_t i = 0; i < needle.size();) {
        uint32_t cp = 0;
        size_t len = decode_utf8(needle, i, cp);
        if (len == 0 || cp == 0 || cp == kReplacement) return {};
        starts.push_back(i);
        i += len;
    }
    starts.push_back(needle.size());
    return starts;
}

// The raw and rendered forms of address fields, which header keys also
// match (imap/search_eval.cpp); their decoded form is in the header text.
std::string address_forms(std::string_view header) {
    std::string out;
    mime::for_each_field(header, kMaxFieldBytes, [&](std::string_view field, std::string value) {
        if (!is_address_field(field)) return true;
        out += value;
        out += '\n';
        out += rendered_addresses(value);
        out += '\n';
        return true;
    });
    return out;
}

void collect_keys(const SearchNode& node, std::vector<const SearchNode*>& keys) {
    if (index_lookup(node)) keys.push_back(&node);
    for (const SearchNode& child : node.children) collect_keys(child, keys);
}

// The ids in both sorted lists.
std::vector<int64_t> intersection(const std::vector<int64_t>& a, const std::vector<int64_t>& b) {
    std::vector<int64_t> both;
    std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(both));
    return both;
}

}  // namespace

store::IndexedText make_indexed_text(std::string_view raw, const std::string& structure) {
    std::optional<mime::Structure> parsed = mime::deserialize(structure);
    const mime::Structure parts = parsed ? std::move(*parsed) : mime::Structure{};
    std::string_view header = header_block(raw);
    store::IndexedText text;
    text.header = index_form(casemap(decoded_header_text(header)));
    text.fields = index_form(casemap(address_forms(header)));
    text.body = index_form(casemap(decoded_body_text(parts, raw)));
    return text;
}

std::optional<IndexLookup> index_lookup(const SearchNode& node) {
    store::TextScope scope;
    switch (node.kind) {
        case Kind::body: scope = store::TextScope::body; break;
        case Kind::text: scope = store::TextScope::text; break;
        case Kind::header: scope = store::TextScope::fields; break;
        default: return std::nullopt;
    }
    const std::string folded = casemap(node.text);
    const std::vector<size_t> starts = lookup_characters(folded);
    if (starts.size() < kMinCharacters + 1) return std::nullopt;
    IndexLookup lookup;
    const size_t characters = starts.size() - 1;
    if (characters <= kMaxLookupCharacters) {
        lookup.keys.push_back(store::TextKey{scope, folded});
        lookup.exact = scope != store::TextScope::fields;
        return lookup;
    }
    const size_t head_end = starts[kMaxLookupCharacters], tail_start = starts[characters - kMaxLookupCharacters];
    lookup.keys.push_back(store::TextKey{scope, folded.substr(0, head_end)});
    lookup.keys.push_back(store::TextKey{scope, folded.substr(tail_start)});
    return lookup;
}

bool IndexAnswers::applies(const SearchQuery& query) {
    std::vector<const SearchNode*> nodes;
    collect_keys(query.root, nodes);
    return !nodes.empty();
}

std::optional<IndexAnswers> IndexAnswers::ask(store::Store& store, const std::string& user, const SearchQuery& query,
                                              int64_t min_id, int64_t max_id) {
    std::vector<const SearchNode*> nodes;
    collect_keys(query.root, nodes);
    if (nodes.empty()) return std::nullopt;
    std::vector<IndexLookup> lookups;
    std::vector<store::TextKey> keys;
    for (const SearchNode* node : nodes) {
        lookups.push_back(*index_lookup(*node));
        keys.insert(keys.end(), lookups.back().keys.begin(), lookups.back().keys.end());
    }
    store::TextIndexResult result;
    try {
        result = store.search_text_index(user, min_id, max_id, keys);
    } catch (const store::StoreError& e) {
        // A damaged or locked index costs speed, not answers: scan.
        log::warn("imap user={} full-text index not used: {}", user, e.what());
        return std::nullopt;
    }
    if (result.indexed.empty() || result.matches.size() != keys.size()) return std::nullopt;
    IndexAnswers answers;
    answers.indexed_ = std::move(result.indexed);
    size_t next = 0;
    for (size_t i = 0; i < nodes.size(); ++i) {
        std::vector<int64_t> ids = std::move(result.matches[next++]);
        for (size_t k = 1; k < lookups[i].keys.size(); ++k) ids = intersection(ids, result.matches[next++]);
        answers.keys_[nodes[i]] = Found{lookups[i].exact, std::move(ids)};
    }
    return answers;
}

std::optional<bool> IndexAnswers::answer(const SearchNode& key, const SearchMessage& message) const {
    auto it = keys_.find(&key);
    if (it == keys_.end()) return std::nullopt;
    if (!std::binary_search(indexed_.begin(), indexed_.end(), message.message_id)) return std::nullopt;
    const Found& found = it->second;
    if (std::binary_search(found.ids.begin(), found.ids.end(), message.message_id))
        return found.exact ? std::optional<bool>(true) : std::nullopt;
    return false;
}

bool IndexAnswers::rules_out(const SearchNode& node, int64_t message_id) const {
    switch (node.kind) {
        case Kind::and_:
            return std::any_of(node.children.begin(), node.children.end(),
                               [&](const SearchNode& child) { return rules_out(child, message_id); });
        case Kind::or_:
            return !node.children.empty() &&
                   std::all_of(node.children.begin(), node.children.end(),
                               [&](const SearchNode& child) { return rules_out(child, message_id); });
        default: break;
    }
    auto it = keys_.find(&node);
    if (it == keys_.end()) return false;
    const std::vector<int64_t>& ids = it->second.ids;
    return std::binary_search(indexed_.begin(), indexed_.end(), message_id) &&
           !std::binary_search(ids.begin(), ids.end(), message_id);
}

}  // namespace pochta::imap
