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

// In sort order (ESORT, RFC 5267 3.2) MIN and MAX are the first and last
// message of the sorted list; otherwise the lowest and highest number.
const SearchHit& min_hit(const std::vector<SearchHit>& hits, bool sort_order = false) {
    if (sort_order) return hits.front();
    return *std::min_element(hits.begin(), hits.end(),
                             [](const SearchHit& a, const SearchHit& b) { return a.number < b.number; });
}

const SearchHit& max_hit(const std::vector<SearchHit>& hits, bool sort_order = false) {
    if (sort_order) return hits.back();
    return *std::max_element(hits.begin(), hits.end(),
                             [](const SearchHit& a, const SearchHit& b) { return a.number < b.number; });
}

uint64_t highest_modseq(const std::vector<SearchHit>& hits) {
    uint64_t highest = 0;
    for (const SearchHit& h : hits) highest = std::max(highest, h.modseq);
    return highest;
}

// ESORT's ALL: the numbers in the order given, runs of consecutive
// ascending numbers as ranges ("5,3:4,1").
std::string ordered_set(const std::vector<SearchHit>& hits) {
    std::string out;
    for (size_t i = 0; i < hits.size();) {
        size_t end = i;
        while (end + 1 < hits.size() && hits[end + 1].number == hits[end].number + 1) ++end;
        if (!out.empty()) out += ',';
        out += std::to_string(hits[i].number);
        if (end > i) out += ":" + std::to_string(hits[end].number);
        i = end + 1;
    }
    return out;
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
                                    const std::vector<SearchHit>& hits, bool with_modseq, bool sort_order) {
    std::string out = "* ESEARCH (TAG " + quoted(tag) + ")";
    if (uid) out += " UID";
    if (!hits.empty()) {
        if (options.min) out += " MIN " + std::to_string(min_hit(hits, sort_order).number);
        if (options.max) out += " MAX " + std::to_string(max_hit(hits, sort_order).number);
    }
    if (options.count) out += " COUNT " + std::to_string(hits.size());
    if (!hits.empty() && options.all && sort_order) out += " ALL " + ordered_set(hits);
    if (!hits.empty() && options.all && !sort_order) {
        std::vector<uint32_t> numbers;
        numbers.reserve(hits.size());
        for (const SearchHit& h : hits) numbers.push_back(h.number);
        out += " ALL " + SeqSet::from_numbers(std::move(numbers)).str();
    }
    if (with_modseq && !hits.empty()) {
        uint64_t modseq = 0;
        if (only_min_max(options)) {
            if (options.min) modseq = std::max(modseq, min_hit(hits, sort_order).modseq);
            if (options.max) modseq = std::max(modseq, max_hit(hits, sort_order).modseq);
        } else {
            modseq = highest_modseq(hits);
        }
        out += " MODSEQ " + std::to_string(modseq);
    }
    out += "\r\n";
    return out;
}

std::vector<uint32_t> saved_numbers(const SearchReturn& options, const std::vector<SearchHit>& hits,
                                    bool sort_order) {
    std::vector<uint32_t> saved;
    if (!options.save || hits.empty()) return saved;
    if (only_min_max(options)) {
        if (options.min) saved.push_back(min_hit(hits, sort_order).number);
        if (options.max && (!options.min || max_hit(hits, sort_order).number != saved.front()))
            saved.push_back(max_hit(hits, sort_order).number);
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
