// Fuzzes SORT and THREAD: their command grammar (with ESORT's RETURN) and
// the orderings over hostile messages. The input is a command line, then
// messages separated by NUL bytes. Checks what the session relies on:
//  - a parsed SORT has criteria, a parsed THREAD an algorithm, a charset of
//    UTF-8 or US-ASCII, and ESORT options only when RETURN was given;
//  - sort_messages returns a permutation of the messages, the same one for
//    the same input, stable on ties (sequence order);
//  - thread_messages lists every message exactly once, for both algorithms,
//    and its rendering has balanced parentheses;
//  - message_ids yields IDs without whitespace or angle brackets;
//  - the stored sort keys read back as made, and decoding any bytes is safe.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/mime/structure.hpp"
#include "common/util/strings.hpp"
#include "imap/parser.hpp"
#include "imap/sort.hpp"
#include "imap/sort_keys.hpp"
#include "imap/thread.hpp"
#include "imap/casemap.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace pochta;
using namespace pochta::imap;

namespace {

constexpr size_t kMaxMessages = 64;

void check_command(const Command& cmd) {
    SearchError error;
    if (cmd.name == "SORT") {
        if (auto sort = parse_sort_command(cmd.args, error)) {
            FUZZ_CHECK(!sort->criteria.empty());
            FUZZ_CHECK(sort->query.charset == "UTF-8" || sort->query.charset == "US-ASCII");
            bool has_return = !cmd.args.empty() && cmd.args[0].is_atom() && iequals(cmd.args[0].text, "RETURN");
            FUZZ_CHECK(!sort->query.options.requested || has_return);
        }
    } else if (cmd.name == "THREAD") {
        if (auto thread = parse_thread_command(cmd.args, error)) {
            FUZZ_CHECK(thread->query.charset == "UTF-8" || thread->query.charset == "US-ASCII");
            FUZZ_CHECK(!thread->query.options.requested);
        }
    }
}

void parse_commands(std::string_view line) {
    CommandParser parser;
    while (!line.empty()) {
        size_t used = 0;
        ParseResult r = parser.feed(line, used);
        line.remove_prefix(used);
        if (r.status == ParseResult::Status::command) check_command(r.command);
        if (r.status == ParseResult::Status::need_more || used == 0) break;
    }
}

// Each message's keys, made and read back as the store keeps them.
std::vector<KeyedMessage> keyed(const std::vector<std::string_view>& raws) {
    std::vector<KeyedMessage> messages;
    for (size_t i = 0; i < raws.size(); ++i) {
        std::string stored = make_stored_sort_keys(raws[i], mime::serialize(mime::parse_message(raws[i])));
        std::optional<SortKeys> keys = decode_sort_keys(stored);
        FUZZ_CHECK(keys && encode_sort_keys(*keys) == stored);
        KeyedMessage m;
        m.seq = static_cast<uint32_t>(i + 1);
        m.uid = static_cast<uint32_t>(i * 3 + 7);
        m.internal_date = static_cast<int64_t>(raws[i].size()) * 86400;
        m.size = raws[i].size();
        m.keys = std::move(*keys);
        messages.push_back(std::move(m));
    }
    return messages;
}

void check_sorts(const std::vector<KeyedMessage>& messages) {
    std::string error;
    for (const char* criteria : {"(DATE)", "(REVERSE ARRIVAL SIZE)", "(FROM TO CC)", "(SUBJECT REVERSE DATE)",
                                 "(DISPLAYFROM)", "(REVERSE DISPLAYTO)"}) {
        CommandParser parser;
        std::string line = std::string("t SORT ") + criteria + " UTF-8 ALL\r\n";
        size_t used = 0;
        ParseResult r = parser.feed(line, used);
        FUZZ_CHECK(r.status == ParseResult::Status::command);
        auto parsed = parse_sort_criteria(r.command.args[0], error);
        FUZZ_CHECK(parsed);
        std::vector<size_t> order = sort_messages(messages, *parsed);
        std::vector<size_t> sorted = order;
        std::sort(sorted.begin(), sorted.end());
        for (size_t i = 0; i < sorted.size(); ++i) FUZZ_CHECK(sorted[i] == i);
        FUZZ_CHECK(sort_messages(messages, *parsed) == order);
    }
}

void check_threads(const std::vector<KeyedMessage>& messages) {
    for (auto algorithm : {ThreadAlgorithm::references, ThreadAlgorithm::ordered_subject}) {
        ThreadTree tree = thread_messages(messages, algorithm, false);
        std::vector<uint32_t> seen;
        for (const ThreadTree::Node& node : tree.nodes)
            if (node.number != 0) seen.push_back(node.number);
        std::sort(seen.begin(), seen.end());
        FUZZ_CHECK(seen.size() == messages.size());
        for (size_t i = 0; i < seen.size(); ++i) FUZZ_CHECK(seen[i] == i + 1);
        std::string text = format_threads(tree);
        int depth = 0;
        for (char c : text) {
            depth += c == '(' ? 1 : c == ')' ? -1 : 0;
            FUZZ_CHECK(depth >= 0);
        }
        FUZZ_CHECK(depth == 0);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);
    size_t end_of_command = input.find('\n');
    parse_commands(input.substr(0, end_of_command == std::string_view::npos ? input.size() : end_of_command + 1));
    for (const std::string& id : message_ids(input))
        FUZZ_CHECK(!id.empty() && id.find_first_of(" \t\r\n<>") == std::string::npos);
    (void)casemap(input);

    if (std::optional<SortKeys> any = decode_sort_keys(input)) FUZZ_CHECK(any->references.size() <= kMaxReferences);

    std::vector<std::string_view> raws;
    std::string_view rest =
        end_of_command == std::string_view::npos ? std::string_view() : input.substr(end_of_command + 1);
    while (!rest.empty() && raws.size() < kMaxMessages) {
        size_t nul = rest.find('\0');
        raws.push_back(rest.substr(0, nul));
        rest = nul == std::string_view::npos ? std::string_view() : rest.substr(nul + 1);
    }
    std::vector<KeyedMessage> messages = keyed(raws);
    check_sorts(messages);
    check_threads(messages);
    return 0;
}
