#include "imap/search_eval.hpp"

#include <algorithm>
#include <array>
#include <ctime>

#include "common/mime/encoded_word.hpp"
#include "common/mime/message_date.hpp"
#include "common/util/strings.hpp"
#include "imap/casemap.hpp"
#include "imap/search_text.hpp"
#include "imap/substring_search.hpp"
#include "store/store.hpp"

namespace pochta::imap {

using Kind = SearchNode::Kind;

namespace {

// Deeper trees than the parser allows are refused by matching nothing.
constexpr size_t kMaxDepth = 64;

struct SystemFlag {
    std::string_view name;
    uint32_t bit;
};
constexpr std::array<SystemFlag, 5> kSystemFlags{{
    {"\\Seen", store::flag_seen},
    {"\\Answered", store::flag_answered},
    {"\\Flagged", store::flag_flagged},
    {"\\Deleted", store::flag_deleted},
    {"\\Draft", store::flag_draft},
}};

// The envelope member holding the first `name` field, nullptr for fields
// the envelope does not keep.
const std::optional<std::string>* envelope_field(const mime::EnvelopeFields& e, std::string_view name) {
    if (iequals(name, "date")) return &e.date;
    if (iequals(name, "subject")) return &e.subject;
    if (iequals(name, "from")) return &e.from;
    if (iequals(name, "sender")) return &e.sender;
    if (iequals(name, "reply-to")) return &e.reply_to;
    if (iequals(name, "to")) return &e.to;
    if (iequals(name, "cc")) return &e.cc;
    if (iequals(name, "bcc")) return &e.bcc;
    if (iequals(name, "in-reply-to")) return &e.in_reply_to;
    if (iequals(name, "message-id")) return &e.message_id;
    return nullptr;
}

bool is_envelope_field(std::string_view name) {
    static const mime::EnvelopeFields probe;
    return envelope_field(probe, name) != nullptr;
}

int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// Days since the epoch of the instant's calendar day in the given zone.
int64_t local_day(int64_t when, const std::optional<int32_t>& utc_offset) {
    if (utc_offset) return floor_div(when + *utc_offset, 86400);
    time_t t = static_cast<time_t>(when);
    struct tm tm {};
    if (!localtime_r(&t, &tm)) return floor_div(when, 86400);
    return mime::days_from_civil(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

ContentNeed max_need(ContentNeed a, ContentNeed b) { return a > b ? a : b; }

// Linear in the haystack (imap/substring_search.hpp), charged to the budget first.
bool contains(std::string_view haystack, const SubstringMatcher& needle, SearchBudget* budget) {
    if (budget) budget->charge(haystack.size());
    return needle.found_in(haystack);
}

// SAVEDBEFORE/ON/SINCE: a message stored before its save date was kept is
// searched by its internal date, the nearest thing known.
int64_t saved(const SearchMessage& m) { return m.save_date ? m.save_date : m.internal_date; }

const mime::Structure& empty_structure() {
    static const mime::Structure empty;
    return empty;
}

}  // namespace

struct SearchEvaluator::Node {
    Kind kind = Kind::all;
    const SearchNode* source = nullptr;  // for SearchContext::index
    std::vector<Node> children;
    std::string field;
    SubstringMatcher needle;  // of the folded search string
    bool address = false;
    std::vector<SeqRange> ranges;
    int64_t day = 0;
    uint64_t number = 0;
    uint32_t flag = 0;  // 0: a flag this server does not know, never set
    ContentNeed need = ContentNeed::none;
};

namespace {

using Node = SearchEvaluator::Node;

Node never() {
    Node all;
    Node node;
    node.kind = Kind::not_;
    node.children.push_back(all);
    return node;
}

Node compile(const SearchNode& in, const SearchContext& context, size_t depth) {
    if (depth > kMaxDepth) return never();
    Node out;
    out.kind = in.kind;
    out.source = &in;
    out.need = content_need(in);
    switch (in.kind) {
        case Kind::and_:
        case Kind::or_:
        case Kind::not_:
            for (const SearchNode& child : in.children) out.children.push_back(compile(child, context, depth + 1));
            // Cheap keys first: a message that fails them is never read.
            std::stable_sort(out.children.begin(), out.children.end(),
                             [](const Node& a, const Node& b) { return a.need < b.need; });
            break;
        case Kind::sequence: out.ranges = in.set.resolve(context.message_count); break;
        case Kind::uid: out.ranges = in.set.resolve(context.max_uid); break;
        case Kind::flag:
            for (const SystemFlag& f : kSystemFlags)
                if (iequals(in.text, f.name)) out.flag = f.bit;
            break;
        case Kind::keyword: out.field = in.text; break;
        case Kind::header:
            out.field = in.field;
            out.address = is_address_field(in.field);
            out.needle = SubstringMatcher(casemap(in.text));
            break;
        case Kind::body:
        case Kind::text: out.needle = SubstringMatcher(casemap(in.text)); break;
        case Kind::before:
        case Kind::on:
        case Kind::since:
        case Kind::sent_before:
        case Kind::sent_on:
        case Kind::sent_since:
        case Kind::saved_before:
        case Kind::saved_on:
        case Kind::saved_since: out.day = mime::days_from_civil(in.date.year, in.date.month, in.date.day); break;
        case Kind::emailid:
        case Kind::threadid: out.field = in.text; break;
        case Kind::savedate_supported: break;
        case Kind::larger:
        case Kind::smaller:
        case Kind::modseq: out.number = in.number; break;
        case Kind::all:
        case Kind::recent: break;
    }
    return out;
}

bool in_ranges(const std::vector<SeqRange>& ranges, uint32_t n) {
    auto it = std::upper_bound(ranges.begin(), ranges.end(), n,
                               [](uint32_t value, const SeqRange& r) { return value < r.first; });
    return it != ranges.begin() && n <= std::prev(it)->last;
}

// One message's data, loaded on first use and kept for the rest of the
// evaluation so each callback runs at most once.
class Loaded {
public:
    explicit Loaded(const SearchMessage& m) : m_(m) {}

    const SearchMessage& message() const { return m_; }

    const mime::Structure& structure() {
        if (!structure_) structure_ = m_.structure ? &m_.structure() : &empty_structure();
        return *structure_;
    }
    std::string_view raw() {
        if (!raw_) raw_ = m_.raw ? m_.raw() : std::string_view();
        return *raw_;
    }
    std::string_view header() {
        if (!header_) header_ = m_.header ? m_.header() : header_block(raw());
        return *header_;
    }
    const std::string& folded_body() {
        if (!body_) body_ = casemap(decoded_body_text(structure(), raw()));
        return *body_;
    }
    const std::string& folded_header_text() {
        if (!header_text_) header_text_ = casemap(decoded_header_text(header()));
        return *header_text_;
    }
    // Days since the epoch of the Date: field's day as written; nullopt without one.
    std::optional<int64_t> sent_day() {
        if (!sent_day_loaded_) {
            sent_day_loaded_ = true;
            const mime::Part& root = structure().root;
            std::optional<std::string> date;
            if (root.envelope) date = root.envelope->date;
            else if (std::vector<std::string> v = header_values(header(), "Date"); !v.empty()) date = v.front();
            if (date)
                if (std::optional<mime::MessageDate> d = mime::parse_message_date(*date))
                    sent_day_ = mime::days_from_civil(d->year, d->month, d->day);
        }
        return sent_day_;
    }

private:
    const SearchMessage& m_;
    const mime::Structure* structure_ = nullptr;
    std::optional<std::string_view> raw_, header_;
    std::optional<std::string> body_, header_text_;
    bool sent_day_loaded_ = false;
    std::optional<int64_t> sent_day_;
};

// Every value of the node's field: from the envelope when it keeps the
// field (no need to read the message), else from the header block.
std::vector<std::string> field_values(const Node& node, Loaded& loaded) {
    if (is_envelope_field(node.field)) {
        const mime::Part& root = loaded.structure().root;
        if (root.envelope) {
            const std::optional<std::string>* value = envelope_field(*root.envelope, node.field);
            if (!*value) return {};
            return {**value};
        }
    }
    return header_values(loaded.header(), node.field);
}

bool header_matches(const Node& node, Loaded& loaded, SearchBudget* budget) {
    for (const std::string& value : field_values(node, loaded)) {
        if (node.needle.needle().empty()) return true;
        if (contains(casemap(mime::decode_encoded_words(value)), node.needle, budget)) return true;
        if (!node.address) continue;
        if (contains(casemap(value), node.needle, budget)) return true;
        if (contains(casemap(rendered_addresses(value)), node.needle, budget)) return true;
    }
    return false;
}

bool has_keyword(const SearchMessage& m, std::string_view keyword) {
    if (!m.keywords) return false;
    for (const std::string& k : *m.keywords)
        if (iequals(k, keyword)) return true;
    return false;
}

bool is_string_key(Kind kind) { return kind == Kind::header || kind == Kind::body || kind == Kind::text; }

bool eval(const Node& node, Loaded& loaded, const SearchContext& context) {
    const SearchMessage& m = loaded.message();
    if (context.index && is_string_key(node.kind))
        if (std::optional<bool> known = context.index(*node.source, m)) return *known;
    switch (node.kind) {
        case Kind::all: return true;
        case Kind::and_:
            for (const Node& child : node.children)
                if (!eval(child, loaded, context)) return false;
            return true;
        case Kind::or_:
            for (const Node& child : node.children)
                if (eval(child, loaded, context)) return true;
            return false;
        case Kind::not_: return node.children.empty() || !eval(node.children.front(), loaded, context);
        case Kind::sequence: return in_ranges(node.ranges, m.seq);
        case Kind::uid: return in_ranges(node.ranges, m.uid);
        case Kind::flag: return node.flag != 0 && (m.flags & node.flag) != 0;
        case Kind::keyword: return has_keyword(m, node.field);
        case Kind::recent: return m.recent;
        case Kind::header: return header_matches(node, loaded, context.budget);
        case Kind::body: return contains(loaded.folded_body(), node.needle, context.budget);
        case Kind::text:
            return contains(loaded.folded_header_text(), node.needle, context.budget) ||
                   contains(loaded.folded_body(), node.needle, context.budget);
        case Kind::before: return local_day(m.internal_date, context.utc_offset) < node.day;
        case Kind::on: return local_day(m.internal_date, context.utc_offset) == node.day;
        case Kind::since: return local_day(m.internal_date, context.utc_offset) >= node.day;
        case Kind::sent_before: {
            std::optional<int64_t> day = loaded.sent_day();
            return day && *day < node.day;
        }
        case Kind::sent_on: {
            std::optional<int64_t> day = loaded.sent_day();
            return day && *day == node.day;
        }
        case Kind::sent_since: {
            std::optional<int64_t> day = loaded.sent_day();
            return day && *day >= node.day;
        }
        case Kind::larger: return m.size > node.number;
        case Kind::smaller: return m.size < node.number;
        case Kind::modseq: return m.modseq >= node.number;
        case Kind::saved_before: return local_day(saved(m), context.utc_offset) < node.day;
        case Kind::saved_on: return local_day(saved(m), context.utc_offset) == node.day;
        case Kind::saved_since: return local_day(saved(m), context.utc_offset) >= node.day;
        case Kind::savedate_supported: return true;
        case Kind::emailid: return node.field == "M" + std::to_string(m.message_id);
        case Kind::threadid: return false;
    }
    return false;
}

}  // namespace

void SearchBudget::charge(uint64_t octets) {
    used += octets;
    if (used > max_octets || std::chrono::steady_clock::now() > deadline) throw SearchTooExpensive();
}

ContentNeed content_need(const SearchNode& node) {
    switch (node.kind) {
        case Kind::and_:
        case Kind::or_:
        case Kind::not_: {
            ContentNeed need = ContentNeed::none;
            for (const SearchNode& child : node.children) need = max_need(need, content_need(child));
            return need;
        }
        case Kind::header: return is_envelope_field(node.field) ? ContentNeed::structure : ContentNeed::header;
        case Kind::body:
        case Kind::text: return ContentNeed::full;
        case Kind::sent_before:
        case Kind::sent_on:
        case Kind::sent_since: return ContentNeed::structure;
        default: return ContentNeed::none;
    }
}

ContentNeed content_need(const SearchQuery& query) { return content_need(query.root); }

bool needs_content(const SearchQuery& query) { return content_need(query) != ContentNeed::none; }

namespace {
bool has_modseq(const SearchNode& node) {
    if (node.kind == Kind::modseq) return true;
    for (const SearchNode& child : node.children)
        if (has_modseq(child)) return true;
    return false;
}
}  // namespace

bool uses_modseq(const SearchQuery& query) { return has_modseq(query.root); }

SearchEvaluator::SearchEvaluator(const SearchQuery& query, const SearchContext& context)
    : root_(std::make_unique<Node>(compile(query.root, context, 0))), context_(context), need_(content_need(query)) {}

SearchEvaluator::~SearchEvaluator() = default;
SearchEvaluator::SearchEvaluator(SearchEvaluator&&) noexcept = default;
SearchEvaluator& SearchEvaluator::operator=(SearchEvaluator&&) noexcept = default;

bool SearchEvaluator::matches(const SearchMessage& message) const {
    Loaded loaded(message);
    return eval(*root_, loaded, context_);
}

std::vector<size_t> search_messages(const SearchEvaluator& evaluator, const std::vector<SearchMessage>& messages) {
    std::vector<size_t> hits;
    for (size_t i = 0; i < messages.size(); ++i)
        if (evaluator.matches(messages[i])) hits.push_back(i);
    return hits;
}

}  // namespace pochta::imap
