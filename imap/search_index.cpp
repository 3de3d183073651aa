#include "imap/search_index.hpp"

#include <algorithm>

#include "common/mime/header.hpp"
#include "common/util/strings.hpp"
#include "imap/casemap.hpp"
#include "imap/search_text.hpp"

namespace pochta::imap {

using Kind = SearchNode::Kind;

namespace {

constexpr uint32_t kReplacement = 0xFFFD;
constexpr size_t kMinCharacters = 3;  // the trigram tokenizer's shortest lookup
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

// Characters of a needle the index can look up, or 0 when it holds bytes
// the index never keeps as they are.
size_t lookup_characters(std::string_view needle) {
    size_t characters = 0;
    for (size_t i = 0; i < needle.size(); ++characters) {
        uint32_t cp = 0;
        size_t len = decode_utf8(needle, i, cp);
        if (len == 0 || cp == 0 || cp == kReplacement) return 0;
        i += len;
    }
    return characters;
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
    if (index_key(node)) keys.push_back(&node);
    for (const SearchNode& child : node.children) collect_keys(child, keys);
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

std::optional<store::TextKey> index_key(const SearchNode& node) {
    store::TextKey key;
    switch (node.kind) {
        case Kind::body: key.scope = store::TextScope::body; break;
        case Kind::text: key.scope = store::TextScope::text; break;
        case Kind::header: key.scope = store::TextScope::fields; break;
        default: return std::nullopt;
    }
    key.folded = casemap(node.text);
    if (lookup_characters(key.folded) < kMinCharacters) return std::nullopt;
    return key;
}

std::optional<IndexAnswers> IndexAnswers::ask(store::Store& store, const std::string& user, const SearchQuery& query,
                                              int64_t min_id, int64_t max_id) {
    std::vector<const SearchNode*> nodes;
    collect_keys(query.root, nodes);
    if (nodes.empty()) return std::nullopt;
    std::vector<store::TextKey> keys;
    for (const SearchNode* node : nodes) keys.push_back(*index_key(*node));
    store::TextIndexResult result = store.search_text_index(user, min_id, max_id, keys);
    if (result.indexed.empty() || result.matches.size() != keys.size()) return std::nullopt;
    IndexAnswers answers;
    answers.indexed_ = std::move(result.indexed);
    for (size_t i = 0; i < nodes.size(); ++i)
        answers.keys_[nodes[i]] = Found{keys[i].scope != store::TextScope::fields, std::move(result.matches[i])};
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

}  // namespace pochta::imap
