#include "imap/esearch.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>

#include "common/util/strings.hpp"
#include "imap/response.hpp"

namespace pochta::imap {

namespace {

// MIN/MAX alone report one or two messages; anything else reports them all.
bool only_min_max(const SearchReturn& options) {
    return (options.min || options.max) && !options.all && !options.count;
}

const SearchHit& min_hit(const std::vector<SearchHit>& hits) {
    return *std::min_element(hits.begin(), hits.end(),
                             [](const SearchHit& a, const SearchHit& b) { return a.number < b.number; });
}

const SearchHit& max_hit(const std::vector<SearchHit>& hits) {
    return *std::max_element(hits.begin(), hits.end(),
                             [](const SearchHit& a, const SearchHit& b) { return a.number < b.number; });
}

uint64_t highest_modseq(const std::vector<SearchHit>& hits) {
    uint64_t highest = 0;
    for (const SearchHit& h : hits) highest = std::max(highest, h.modseq);
    return highest;
}

}  // namespace

std::string format_search_response(const std::vector<SearchHit>& hits, bool with_modseq) {
    std::string out = "* SEARCH";
    for (const SearchHit& h : hits) fmt::format_to(std::back_inserter(out), " {}", h.number);
    if (with_modseq && !hits.empty()) fmt::format_to(std::back_inserter(out), " (MODSEQ {})", highest_modseq(hits));
    out += "\r\n";
    return out;
}

bool esearch_has_response(const SearchReturn& options) {
    return options.min || options.max || options.all || options.count || !options.save;
}

std::string format_esearch_response(std::string_view tag, bool uid, const SearchReturn& options,
                                    const std::vector<SearchHit>& hits, bool with_modseq) {
    std::string out = "* ESEARCH (TAG " + quoted(tag) + ")";
    if (uid) out += " UID";
    if (!hits.empty()) {
        if (options.min) out += " MIN " + std::to_string(min_hit(hits).number);
        if (options.max) out += " MAX " + std::to_string(max_hit(hits).number);
    }
    if (options.count) out += " COUNT " + std::to_string(hits.size());
    if (!hits.empty() && options.all) {
        std::vector<uint32_t> numbers;
        numbers.reserve(hits.size());
        for (const SearchHit& h : hits) numbers.push_back(h.number);
        out += " ALL " + SeqSet::from_numbers(std::move(numbers)).str();
    }
    if (with_modseq && !hits.empty()) {
        uint64_t modseq = 0;
        if (only_min_max(options)) {
            if (options.min) modseq = std::max(modseq, min_hit(hits).modseq);
            if (options.max) modseq = std::max(modseq, max_hit(hits).modseq);
        } else {
            modseq = highest_modseq(hits);
        }
        out += " MODSEQ " + std::to_string(modseq);
    }
    out += "\r\n";
    return out;
}

std::vector<uint32_t> saved_numbers(const SearchReturn& options, const std::vector<SearchHit>& hits) {
    std::vector<uint32_t> saved;
    if (!options.save || hits.empty()) return saved;
    if (only_min_max(options)) {
        if (options.min) saved.push_back(min_hit(hits).number);
        if (options.max && (!options.min || max_hit(hits).number != saved.front()))
            saved.push_back(max_hit(hits).number);
        return saved;
    }
    for (const SearchHit& h : hits) saved.push_back(h.number);
    std::sort(saved.begin(), saved.end());
    return saved;
}

void substitute_saved(SearchNode& node, const SeqSet& saved_uids) {
    if ((node.kind == SearchNode::Kind::uid || node.kind == SearchNode::Kind::sequence) && node.set.saved()) {
        node.kind = SearchNode::Kind::uid;
        node.set = saved_uids;
    }
    for (SearchNode& child : node.children) substitute_saved(child, saved_uids);
}

bool requests_save(std::span<const Token> args) {
    if (args.size() < 2 || !args[0].is_atom() || !iequals(args[0].text, "RETURN") || !args[1].is_list())
        return false;
    return std::any_of(args[1].children.begin(), args[1].children.end(),
                       [](const Token& t) { return t.is_atom() && iequals(t.text, "SAVE"); });
}

}  // namespace pochta::imap
