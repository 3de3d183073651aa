// THREAD: REFERENCES and ORDEREDSUBJECT on small mailboxes, the output
// syntax, Message-ID parsing and the command's arguments.
#include <catch2/catch.hpp>

#include <algorithm>

#include "imap/thread.hpp"
#include "sort_fixture.hpp"

using namespace pochta;
using namespace pochta::imap;
using namespace pochta::imap::test;

namespace {

// A message with the given header lines, dated `day` January 2023.
void add(Mailbox& box, int day, std::string_view headers) {
    std::string text = std::string(headers);
    if (day > 0) text += "Date: " + std::to_string(day) + " Jan 2023 12:00:00 +0000\n";
    text += "\nbody\n";
    Setup setup;
    setup.internal_date = at(2023, 1, day > 0 ? day : 28);
    box.add(text, setup);
}

std::string thread(Mailbox& box, ThreadAlgorithm algorithm = ThreadAlgorithm::references, bool uid = false) {
    return format_threads(thread_messages(keyed(box), algorithm, uid));
}

}  // namespace

TEST_CASE("thread: references link replies under their parents") {
    Mailbox box;
    add(box, 1, "Message-ID: <1@x>\nSubject: Hello\n");
    add(box, 2, "Message-ID: <2@x>\nReferences: <1@x>\nSubject: Re: Hello\n");
    add(box, 3, "Message-ID: <3@x>\nReferences: <1@x>\n <2@x>\nSubject: Re: Hello\n");
    add(box, 4, "Message-ID: <4@x>\nIn-Reply-To: <1@x>\nSubject: Re: Hello\n");
    add(box, 5, "Message-ID: <5@x>\nSubject: Other\n");
    CHECK(thread(box) == "(1 (2 3)(4))(5)");
    CHECK(thread(box, ThreadAlgorithm::references, true) == "(101 (102 103)(104))(105)");
}

TEST_CASE("thread: missing parents become dummies, pruned where they can be") {
    Mailbox box;
    add(box, 1, "Message-ID: <a@x>\nReferences: <missing@x>\nSubject: Topic A\n");
    add(box, 2, "Message-ID: <b@x>\nReferences: <missing@x>\nSubject: Re: Topic A\n");
    add(box, 3, "Message-ID: <c@x>\nReferences: <missing2@x>\nSubject: Lonely\n");
    add(box, 4, "Message-ID: <r@x>\nSubject: Root\n");
    add(box, 5, "Message-ID: <s@x>\nReferences: <r@x> <gone@x>\nSubject: Re: Root\n");
    // Two children of a missing message stay under a dummy at the top; a
    // single one is promoted; a dummy in the middle gives its child to its parent.
    CHECK(thread(box) == "((1)(2))(3)(4 5)");
}

TEST_CASE("thread: loops in References do not loop") {
    Mailbox box;
    add(box, 1, "Message-ID: <a@x>\nReferences: <b@x>\nSubject: L1\n");
    add(box, 2, "Message-ID: <b@x>\nReferences: <a@x>\nSubject: L2\n");
    add(box, 3, "Message-ID: <c@x>\nReferences: <x@x> <y@x> <x@x>\nSubject: L3\n");
    add(box, 4, "Message-ID: <d@x>\nReferences: <d@x>\nSubject: L4\n");
    CHECK(thread(box) == "(2 1)(3)(4)");
}

TEST_CASE("thread: duplicate and missing Message-IDs") {
    Mailbox box;
    add(box, 1, "Message-ID: <dup@x>\nSubject: D1\n");
    add(box, 2, "Message-ID: <dup@x>\nSubject: D2\n");
    add(box, 3, "Message-ID: <e@x>\nReferences: <dup@x>\nSubject: D3\n");
    add(box, 4, "Subject: D4\nIn-Reply-To: <e@x>\n");
    add(box, 5, "Message-ID: garbage\nSubject: D5\n");
    CHECK(thread(box) == "(1 3 4)(2)(5)");
}

TEST_CASE("thread: threads with the same subject are gathered") {
    Mailbox box;
    add(box, 1, "Message-ID: <1@x>\nSubject: Meeting\n");
    add(box, 2, "Message-ID: <2@x>\nSubject: meeting\n");
    add(box, 3, "Message-ID: <3@x>\nSubject: Re: Lunch\n");
    add(box, 4, "Message-ID: <4@x>\nSubject: Lunch\n");
    add(box, 5, "Message-ID: <5@x>\nReferences: <gone5@x>\nSubject: Topic\n");
    add(box, 6, "Message-ID: <6@x>\nReferences: <gone5@x>\nSubject: Re: Topic\n");
    add(box, 7, "Message-ID: <7@x>\nSubject: [list] Topic\n");
    add(box, 8, "Message-ID: <8@x>\nReferences: <g1@x>\nSubject: Dual\n");
    add(box, 9, "Message-ID: <9@x>\nReferences: <g1@x>\nSubject: Re: Dual\n");
    add(box, 10, "Message-ID: <10@x>\nReferences: <g2@x>\nSubject: Dual\n");
    add(box, 11, "Message-ID: <11@x>\nReferences: <g2@x>\nSubject: Dual\n");
    add(box, 12, "Message-ID: <12@x>\nSubject: \n");
    add(box, 13, "Message-ID: <13@x>\nSubject: Re:\n");
    // Neither is a reply: a new dummy holds both. A reply goes under the
    // original even when older. A message joins a dummy; two dummies merge.
    // Empty subjects are never gathered.
    CHECK(thread(box) == "((1)(2))(4 3)((5)(6)(7))((8)(9)(10)(11))(12)(13)");
}

TEST_CASE("thread: siblings are in date order, then sequence order") {
    Mailbox box;
    add(box, 20, "Message-ID: <p@x>\nSubject: Parent\n");
    add(box, 22, "Message-ID: <q@x>\nReferences: <p@x>\nSubject: Re: Parent\n");
    add(box, 21, "Message-ID: <r@x>\nReferences: <p@x>\nSubject: Re: Parent\n");
    add(box, 21, "Message-ID: <s@x>\nReferences: <p@x>\nSubject: Re: Parent\n");
    add(box, 0, "Message-ID: <t@x>\nReferences: <p@x>\nSubject: Re: Parent\n");  // no Date: internal 28 Jan
    add(box, 19, "Message-ID: <u@x>\nSubject: Earlier\n");
    CHECK(thread(box) == "(6)(1 (3)(4)(2)(5))");
}

TEST_CASE("thread: ORDEREDSUBJECT") {
    Mailbox box;
    add(box, 3, "Subject: Apple\n");
    add(box, 1, "Subject: Banana\n");
    add(box, 2, "Subject: Re: apple\n");
    add(box, 5, "Subject: Banana\n");
    add(box, 4, "Subject: Fwd: Apple\n");
    add(box, 0, "Subject: Cherry\n");
    CHECK(thread(box, ThreadAlgorithm::ordered_subject) == "(2 4)(3 (1)(5))(6)");
    CHECK(thread(box, ThreadAlgorithm::ordered_subject, true) == "(102 104)(103 (101)(105))(106)");
}

TEST_CASE("thread: no messages, no threads") {
    CHECK(format_thread_response(thread_messages({}, ThreadAlgorithm::references, false)) == "* THREAD\r\n");
    CHECK(format_thread_response(thread_messages({}, ThreadAlgorithm::ordered_subject, true)) == "* THREAD\r\n");
}

TEST_CASE("thread: output syntax") {
    ThreadTree tree;
    auto node = [&](uint32_t number, std::vector<uint32_t> children = {}) {
        tree.nodes.push_back({number, std::move(children)});
        return static_cast<uint32_t>(tree.nodes.size() - 1);
    };
    uint32_t n23 = node(23);
    uint32_t n4 = node(4, {n23});
    uint32_t n96 = node(96);
    uint32_t n7 = node(7, {n96});
    uint32_t n44 = node(44, {n7});
    uint32_t n6 = node(6, {n4, n44});
    uint32_t n3 = node(3, {n6});
    uint32_t n2 = node(2);
    tree.roots = {n2, n3};
    CHECK(format_threads(tree) == "(2)(3 6 (4 23)(44 7 96))");

    uint32_t a = node(10);
    uint32_t b = node(11);
    tree.roots = {node(0, {a, b})};
    CHECK(format_threads(tree) == "((10)(11))");
    CHECK(format_thread_response(tree) == "* THREAD ((10)(11))\r\n");
}

TEST_CASE("thread: deep threads are formatted without recursion") {
    ThreadTree chain;
    const uint32_t depth = 100000;
    for (uint32_t i = 0; i < depth; ++i) chain.nodes.push_back({i + 1, {}});
    for (uint32_t i = 0; i + 1 < depth; ++i) chain.nodes[i].children.push_back(i + 1);
    chain.roots = {0};
    std::string out = format_threads(chain);
    CHECK(out.substr(0, 8) == "(1 2 3 4");
    CHECK(out.substr(out.size() - 14) == " 99999 100000)");

    // Every node has a leaf and a subtree: nested parentheses all the way down.
    ThreadTree branchy;
    const uint32_t levels = 50000;
    for (uint32_t i = 0; i < levels; ++i) {
        branchy.nodes.push_back({2 * i + 1, {}});
        branchy.nodes.push_back({2 * i + 2, {}});
    }
    for (uint32_t i = 0; i + 1 < levels; ++i) branchy.nodes[2 * i].children = {2 * i + 1, 2 * i + 2};
    branchy.roots = {0};
    std::string nested = format_threads(branchy);
    CHECK(std::count(nested.begin(), nested.end(), '(') == std::count(nested.begin(), nested.end(), ')'));
    CHECK(nested.substr(0, 12) == "(1 (2)(3 (4)");
}

TEST_CASE("thread: a long reply chain in a mailbox") {
    Mailbox box;
    add(box, 1, "Message-ID: <m0@x>\nSubject: chain\n");
    std::string references = "<m0@x>";
    for (int i = 1; i < 400; ++i) {
        add(box, 1, "Message-ID: <m" + std::to_string(i) + "@x>\nReferences: " + references + "\nSubject: Re: chain\n");
        references += " <m" + std::to_string(i) + "@x>";
    }
    std::string expected = "(";
    for (int i = 1; i <= 400; ++i) expected += (i > 1 ? " " : "") + std::to_string(i);
    CHECK(thread(box) == expected + ")");
}

TEST_CASE("thread: parse_thread_command") {
    SearchError error;
    std::vector<Token> args = command_args("THREAD", "REFERENCES UTF-8 ALL");
    std::optional<ThreadCommand> command = parse_thread_command(args, error);
    REQUIRE(command);
    CHECK(command->algorithm == ThreadAlgorithm::references);
    CHECK(command->query.charset == "UTF-8");

    args = command_args("THREAD", "orderedsubject us-ascii SEEN UNDELETED");
    command = parse_thread_command(args, error);
    REQUIRE(command);
    CHECK(command->algorithm == ThreadAlgorithm::ordered_subject);
    CHECK(command->query.root.children.size() == 2);

    args = command_args("THREAD", "REFERENCES KOI8-R ALL");
    CHECK_FALSE(parse_thread_command(args, error));
    CHECK(error.kind == SearchError::Kind::bad_charset);

    for (const char* bad : {"FOO UTF-8 ALL", "REFERENCES UTF-8", "REFERENCES", "(REFERENCES) UTF-8 ALL",
                            "REFERENCES UTF-8 CHARSET UTF-8 ALL", "REFERENCES UTF-8 NOSUCHKEY"}) {
        args = command_args("THREAD", bad);
        INFO(bad);
        CHECK_FALSE(parse_thread_command(args, error));
        CHECK(error.kind == SearchError::Kind::syntax);
    }
}
