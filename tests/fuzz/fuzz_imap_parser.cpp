// Fuzzes the IMAP command parser and what is built on its tokens (SEARCH,
// FETCH, sequence sets, modified UTF-7). Beyond "no crash", checks what the
// session relies on:
//  - feeding the bytes in one piece or in many small pieces gives the same
//    commands, errors and continuation requests;
//  - feed() always makes progress and returns need_more only with all bytes taken;
//  - commands respect the limits (depth, tokens, literal sizes) and carry a valid tag;
//  - errors carry a printable reason and a valid tag or none;
//  - a sequence set prints to text that parses back to the same set;
//  - a strictly valid mUTF-7 atom re-encodes to the same bytes;
//  - a FETCH response name without a partial parses back to the same item;
//  - an APPEND literal the sink factory takes goes whole to its sink (the
//    same bytes for any split), its token keeps no text, NUL is noted;
//  - a SEARCH query is a well-formed tree (OR has two children, NOT one,
//    sets are non-empty or SEARCHRES's "$" marker and print to text that
//    parses back to the same set), RETURN options are consistent.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "imap/fetch_items.hpp"
#include "imap/mutf7.hpp"
#include "imap/parser.hpp"
#include "imap/search_query.hpp"
#include "imap/seqset.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace pochta::imap;

namespace {

ParserLimits fuzz_limits() {
    ParserLimits limits;
    limits.max_line = 2048;
    limits.max_literal = 512;
    limits.max_literal_total = 1024;
    limits.max_depth = 16;
    limits.max_tokens = 200;
    return limits;
}

// APPEND literals over this go to a sink (the session spools them).
constexpr uint64_t kSinkThreshold = 64;

struct CollectingSink : LiteralSink {
    std::string bytes;
    void write(std::string_view piece) override { bytes.append(piece); }
};

std::shared_ptr<LiteralSink> sink_for(const LiteralAnnouncement& literal) {
    if (literal.command != "APPEND" || literal.size <= kSinkThreshold) return nullptr;
    return std::make_shared<CollectingSink>();
}

const std::string& sunk_bytes(const Token& t) { return static_cast<const CollectingSink&>(*t.sink).bytes; }

bool printable(std::string_view s) {
    for (unsigned char c : s)
        if (c < 32 || c > 126) return false;
    return !s.empty();
}

std::string show(const std::vector<Token>& tokens) {
    std::string out;
    for (const Token& t : tokens) {
        out += static_cast<char>('0' + static_cast<int>(t.type));
        out += t.binary ? 'b' : '-';
        out += std::to_string(t.text.size()) + ":" + t.text;
        if (t.sink) out += "sink:" + sunk_bytes(t);
        if (t.is_list()) out += "(" + show(t.children) + ")";
        out += ' ';
    }
    return out;
}

void check_tokens(const std::vector<Token>& tokens, size_t depth, size_t& count) {
    FUZZ_CHECK(depth <= fuzz_limits().max_depth);
    for (const Token& t : tokens) {
        ++count;
        switch (t.type) {
            case Token::Type::atom:
            case Token::Type::nil:
                // No controls; a space only inside a section: BODY[HEADER.FIELDS (A B)].
                FUZZ_CHECK(!t.text.empty() && t.text.front() != ' ');
                for (unsigned char c : t.text)
                    FUZZ_CHECK(c != 0x7f && (c > 0x20 || (c == ' ' && t.text.find('[') != std::string::npos)));
                break;
            case Token::Type::quoted:
                FUZZ_CHECK(t.text.find_first_of(std::string_view("\0\r\n", 3)) == std::string::npos);
                break;
            case Token::Type::literal: {
                FUZZ_CHECK(t.size <= fuzz_limits().max_literal);
                const std::string& bytes = t.sink ? sunk_bytes(t) : t.text;
                FUZZ_CHECK(!t.sink || t.text.empty());
                FUZZ_CHECK(bytes.size() == t.size);
                FUZZ_CHECK(t.nul == (bytes.find('\0') != std::string::npos));
                break;
            }
            case Token::Type::list: check_tokens(t.children, depth + 1, count); break;
        }
        if (!t.is_list()) FUZZ_CHECK(t.children.empty());
    }
}

void check_seqset(std::string_view text) {
    std::optional<SeqSet> set = SeqSet::parse(text);
    if (!set) return;
    std::optional<SeqSet> again = SeqSet::parse(set->str());
    FUZZ_CHECK(again && *again == *set);
    for (uint32_t max : {0u, 1u, 7u, 4294967295u}) {
        std::vector<SeqRange> ranges = set->resolve(max);
        for (size_t i = 0; i < ranges.size(); ++i) {
            FUZZ_CHECK(ranges[i].first >= 1 && ranges[i].first <= ranges[i].last && ranges[i].last <= max);
            if (i > 0) FUZZ_CHECK(uint64_t{ranges[i - 1].last} + 1 < ranges[i].first);
            FUZZ_CHECK(set->contains(ranges[i].first, max) && set->contains(ranges[i].last, max));
        }
    }
}

void check_mutf7(std::string_view text) {
    std::optional<std::string> decoded = mutf7_decode(text);
    if (!decoded) return;
    FUZZ_CHECK(valid_utf8(*decoded));
    std::optional<std::string> encoded = mutf7_encode(*decoded);
    FUZZ_CHECK(encoded && *encoded == text);
}

void check_fetch(const Command& cmd) {
    if (cmd.args.size() < 2) return;
    std::string error;
    std::optional<FetchRequest> request =
        parse_fetch(std::span<const Token>(cmd.args).subspan(1), cmd.uid, error);
    if (!request) {
        FUZZ_CHECK(!error.empty());
        return;
    }
    FUZZ_CHECK(!request->items.empty());
    FUZZ_CHECK(!request->vanished || (cmd.uid && request->changedsince));
    for (const FetchItem& item : request->items) {
        std::string name = item.response_name();
        FUZZ_CHECK(printable(name));
        if (item.partial) continue;
        std::string again_error;
        std::optional<FetchItem> again = parse_fetch_item(name, again_error);
        FUZZ_CHECK(again && again->kind == item.kind && again->section.part == item.section.part &&
                   again->section.text == item.section.text &&
                   again->section.fields.size() == item.section.fields.size());
    }
}

void check_search_node(const SearchNode& node, size_t depth) {
    // NEW and UN* keys add a level or two to what the parser counts.
    FUZZ_CHECK(depth <= kMaxSearchDepth + 4);
    using K = SearchNode::Kind;
    switch (node.kind) {
        case K::and_: FUZZ_CHECK(!node.children.empty()); break;
        case K::or_: FUZZ_CHECK(node.children.size() == 2); break;
        case K::not_: FUZZ_CHECK(node.children.size() == 1); break;
        case K::sequence:
        case K::uid: {
            FUZZ_CHECK(node.set.saved() ? node.set.empty() : !node.set.empty());
            std::string text = node.set.str();
            FUZZ_CHECK(node.set.saved() == (text == "$"));
            std::optional<SeqSet> again = SeqSet::parse(text);
            FUZZ_CHECK(again && *again == node.set);
            FUZZ_CHECK(node.children.empty());
            break;
        }
        default: FUZZ_CHECK(node.children.empty()); break;
    }
    for (const SearchNode& child : node.children) check_search_node(child, depth + 1);
}

void check_search(const Command& cmd) {
    SearchError error;
    std::optional<SearchQuery> query = parse_search(cmd.args, error);
    if (!query) {
        FUZZ_CHECK(!error.reason.empty());
        return;
    }
    FUZZ_CHECK(query->root.kind == SearchNode::Kind::and_ && !query->root.children.empty());
    check_search_node(query->root, 0);
    const SearchReturn& o = query->options;
    bool any = o.min || o.max || o.all || o.count || o.save;
    FUZZ_CHECK(o.requested == any);
    FUZZ_CHECK(query->charset == "UTF-8" || query->charset == "US-ASCII");
}

void check_command(const Command& cmd) {
    FUZZ_CHECK(valid_tag(cmd.tag));
    FUZZ_CHECK(!cmd.name.empty());
    for (char c : cmd.name) FUZZ_CHECK(!(c >= 'a' && c <= 'z'));
    size_t count = 0;
    check_tokens(cmd.args, 0, count);
    FUZZ_CHECK(count <= fuzz_limits().max_tokens);
    for (const Token& t : cmd.args) {
        if (!t.is_atom()) continue;
        check_seqset(t.text);
        check_mutf7(t.text);
    }
    if (cmd.name == "FETCH") check_fetch(cmd);
    if (cmd.name == "SEARCH") check_search(cmd);
}

// Runs the parser over `input` in pieces of the given sizes (cycled) and
// returns a transcript of everything it reported.
std::string run(std::string_view input, const std::vector<size_t>& pieces) {
    CommandParser parser(fuzz_limits());
    parser.set_literal_sink(sink_for);
    std::string transcript;
    size_t piece = 0;
    while (!input.empty()) {
        size_t n = pieces.empty() ? input.size() : std::min(input.size(), pieces[piece++ % pieces.size()]);
        std::string_view chunk = input.substr(0, n);
        input.remove_prefix(n);
        while (!chunk.empty()) {
            size_t used = 0;
            ParseResult r = parser.feed(chunk, used);
            FUZZ_CHECK(used <= chunk.size());
            chunk.remove_prefix(used);
            switch (r.status) {
                case ParseResult::Status::need_more:
                    if (r.continuation) {
                        FUZZ_CHECK(r.literal_size <= fuzz_limits().max_literal);
                        transcript += "+" + std::to_string(r.literal_size) + "\n";
                    } else {
                        FUZZ_CHECK(chunk.empty());
                    }
                    break;
                case ParseResult::Status::command:
                    check_command(r.command);
                    transcript += "C " + r.command.tag + " " + r.command.name + (r.command.uid ? " U " : " ") +
                                  show(r.command.args) + "\n";
                    break;
                case ParseResult::Status::error:
                    FUZZ_CHECK(printable(r.error.reason));
                    FUZZ_CHECK(r.error.tag.empty() || valid_tag(r.error.tag));
                    transcript += "E " + r.error.tag + " " + std::to_string(static_cast<int>(r.error.kind)) +
                                  (r.error.close ? " close " : " ") + r.error.reason + "\n";
                    break;
            }
        }
    }
    return transcript;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);
    std::string whole = run(input, {});
    FUZZ_CHECK(run(input, {1}) == whole);
    // Irregular pieces derived from the input, so splits land everywhere.
    std::vector<size_t> pieces;
    uint32_t x = static_cast<uint32_t>(size) * 2654435761u + 1;
    for (int i = 0; i < 16; ++i) {
        x = x * 1103515245u + 12345u;
        pieces.push_back((x >> 16) % 37 + 1);
    }
    FUZZ_CHECK(run(input, pieces) == whole);
    return 0;
}
