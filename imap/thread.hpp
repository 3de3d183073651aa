// THREAD (RFC 5256): the ORDEREDSUBJECT and REFERENCES algorithms, the
// command's arguments and the "* THREAD (1 2)(3 (4)(5))" response.
//
// Choices where the RFC leaves room:
// - "Sent date" is the Date: field's instant, INTERNALDATE when it does not
//   parse (section 2.2), everywhere a date is compared; equal dates keep
//   sequence order. (Section 4's "use the order in the mailbox when a Date:
//   does not parse" would not be a consistent ordering.)
// - Base subjects are compared with i;ascii-casemap, as SORT does.
// - Message IDs are the text between "<" and ">" with whitespace removed,
//   compared by their hashes (imap/sort_keys.hpp); comments are skipped.
//   Only the last kMaxReferences IDs of a References field are used, which
//   bounds the work a hostile message can cause.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "imap/parser.hpp"
#include "imap/search_eval.hpp"
#include "imap/search_query.hpp"
#include "imap/sort_keys.hpp"

namespace pochta::imap {

enum class ThreadAlgorithm { ordered_subject, references };

// "ORDEREDSUBJECT" / "REFERENCES" in any case.
std::optional<ThreadAlgorithm> parse_thread_algorithm(std::string_view name);

struct ThreadCommand {
    ThreadAlgorithm algorithm = ThreadAlgorithm::references;
    SearchQuery query;
};

// The arguments of THREAD / UID THREAD: "algorithm charset search-keys".
std::optional<ThreadCommand> parse_thread_command(std::span<const Token> args, SearchError& error);

// A forest of threads. Nodes are messages, or dummies (number 0) that hold
// the top of a thread whose first message is missing.
struct ThreadTree {
    struct Node {
        uint32_t number = 0;  // sequence number or UID; 0 for a dummy
        std::vector<uint32_t> children;  // indices into nodes, in order
    };
    std::vector<Node> nodes;
    std::vector<uint32_t> roots;  // indices into nodes, in order
};

// Threads `messages` (ascending sequence order is not required). Numbers
// are UIDs when `uid`, else sequence numbers.
ThreadTree thread_messages(const std::vector<KeyedMessage>& messages, ThreadAlgorithm algorithm, bool uid);

// "(1 2)(3 (4)(5))"; no recursion, so any depth is safe.
std::string format_threads(const ThreadTree& tree);
// "* THREAD (1 2)(3 (4)(5))\r\n" ("* THREAD\r\n" when there are none).
std::string format_thread_response(const ThreadTree& tree);

}  // namespace pochta::imap
