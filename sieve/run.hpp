// The state of one Sieve run, shared by the command side (run_commands.cpp)
// and the test side (run_tests.cpp). Internal to the interpreter.
#pragma once

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "sieve/interpreter.hpp"
#include "sieve/variables.hpp"

namespace pochta::sieve {

// Ends a run early: a runtime error or a spent budget, with where it happened.
struct RunFailure {
    Status status;
    Position position;
    std::string reason;
};

enum class Flow { next, stop, return_ };

// One script being run: the top one or an included one.
struct Frame {
    const Script& script;
    Variables variables;
};

class Run {
public:
    Run(const Message& message, const Context& context, const Budget& budget);

    // Runs `script` as the top script and fills the result.
    Result finish(const Script& script);

private:
    // Commands (run_commands.cpp).
    Flow commands(Frame& frame, const std::vector<Node>& nodes);
    Flow command(Frame& frame, const Node& node);
    void keep(Frame& frame, const Node& node);
    void fileinto(Frame& frame, const Node& node);
    void redirect(Frame& frame, const Node& node);
    void reject(Frame& frame, const Node& node);
    void vacation(Frame& frame, const Node& node);
    void flags_command(Frame& frame, const Node& node);
    void set(Frame& frame, const Node& node);
    void addheader(Frame& frame, const Node& node);
    void deleteheader(Frame& frame, const Node& node);
    Flow include(Frame& frame, const Node& node);
    void store(Frame& frame, const Node& node, Action action);
    void add_action(const Node& node, Action action);
    std::vector<std::string> current_flags(Frame& frame, const Node& node);

    // Tests (run_tests.cpp).
    bool test(Frame& frame, const Node& node);
    bool header_test(Frame& frame, const Node& node);
    bool address_test(Frame& frame, const Node& node);
    bool envelope_test(Frame& frame, const Node& node);
    bool body_test(Frame& frame, const Node& node);
    bool date_test(Frame& frame, const Node& node);
    bool currentdate_test(Frame& frame, const Node& node);
    bool hasflag_test(Frame& frame, const Node& node);
    bool duplicate_test(Frame& frame, const Node& node);
    bool exists_test(Frame& frame, const Node& node);
    // Whether any of `values` matches any key (the node's last positional
    // argument), setting the match variables on success.
    bool match(Frame& frame, const Node& node, const std::vector<std::string>& values);
    bool match(Frame& frame, const Node& node, const std::vector<std::string_view>& values);
    bool match_one(Frame& frame, const Node& node, std::string_view value, std::string_view key, size_t key_index,
                   std::vector<std::string>* captures);
    // Where the fields named `name` are in header(), in order, with
    // :index/:last applied.
    std::vector<size_t> fields(const Node& node, std::string_view name);

    // Shared.
    std::string expand(Frame& frame, const std::string& text);
    std::vector<std::string> expand_all(Frame& frame, const Argument& arg);
    void step(const Node& node, uint64_t count = 1);
    void check_memory(const Node& node);
    [[noreturn]] void error(const Node& node, std::string reason);
    const std::vector<HeaderField>& header() const { return edited_ ? edited_header_ : message_.header(); }
    std::vector<HeaderField>& edit_header();

    const Message& message_;
    const Context& context_;
    const Budget& budget_;
    Result result_;
    GlobalVariables globals_;
    std::vector<std::string> flags_;       // imap4flags' internal variable
    bool implicit_keep_ = true;
    bool edited_ = false;
    std::vector<HeaderField> edited_header_;
    std::vector<Frame*> frames_;  // the scripts being run, outermost first
    std::set<std::pair<IncludeLocation, std::string>> included_once_;
    size_t includes_ = 0;
    size_t redirects_ = 0;
    size_t action_bytes_ = 0;
    Position position_;  // of the command or test running
};

// Flags (RFC 5232 section 3): the words of each string, without repeats
// (compared without case), system flags spelt "\Seen".
std::vector<std::string> flag_words(const std::vector<std::string>& strings);
std::string join_flags(const std::vector<std::string>& flags);

}  // namespace pochta::sieve
