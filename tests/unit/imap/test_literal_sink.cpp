// The parser's literal sink hook (imap/literal_sink.hpp): a literal the
// factory takes is streamed to its sink, not kept in the token, whatever
// the feeding; NUL is noted as it passes; a refused or dropped command
// lets its sink go.
#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

#include "imap/parser.hpp"

using namespace pochta::imap;
using Status = ParseResult::Status;

namespace {

struct RecordingSink : LiteralSink {
    std::string bytes;
    size_t writes = 0;
    void write(std::string_view piece) override {
        bytes.append(piece);
        ++writes;
    }
};

// Sinks every literal of APPEND over `threshold` octets, recording what
// the parser announced.
struct Factory {
    uint64_t threshold = 10;
    std::vector<LiteralAnnouncement> asked;
    std::vector<std::string> commands;  // asked[i].command, kept past the call
    std::vector<std::shared_ptr<RecordingSink>> sinks;

    LiteralSinkFactory make() {
        return [this](const LiteralAnnouncement& literal) -> std::shared_ptr<LiteralSink> {
            asked.push_back(literal);
            commands.emplace_back(literal.command);
            if (literal.command != "APPEND" || literal.size <= threshold) return nullptr;
            sinks.push_back(std::make_shared<RecordingSink>());
            return sinks.back();
        };
    }
};

// Feeds `input` in pieces of `step` bytes; the last result that is not a
// plain need_more.
ParseResult feed_in_steps(CommandParser& parser, std::string_view input, size_t step) {
    ParseResult last;
    std::string pending;
    for (size_t at = 0; at < input.size(); at += step) {
        pending.append(input.substr(at, step));
        for (;;) {
            size_t used = 0;
            ParseResult r = parser.feed(pending, used);
            pending.erase(0, used);
            if (r.status != Status::need_more) last = std::move(r);
            if (r.status == Status::need_more && used == 0) break;
            if (pending.empty()) break;
        }
    }
    return last;
}

}  // namespace

TEST_CASE("a sunk literal goes to its sink, not the token, however it is split", "[parser][sink]") {
    const std::string message = "Subject: big\r\n\r\n" + std::string(200, 'x') + "\r\n";
    const std::string input =
        "a APPEND INBOX (\\Seen) {" + std::to_string(message.size()) + "+}\r\n" + message + "\r\n";
    for (size_t step : {size_t{1}, size_t{7}, size_t{64}, input.size()}) {
        INFO("step " << step);
        Factory factory;
        CommandParser parser;
        parser.set_literal_sink(factory.make());
        ParseResult r = feed_in_steps(parser, input, step);
        REQUIRE(r.status == Status::command);
        REQUIRE(r.command.args.size() == 3);
        const Token& literal = r.command.args[2];
        CHECK(literal.type == Token::Type::literal);
        CHECK(literal.text.empty());
        CHECK(literal.size == message.size());
        CHECK_FALSE(literal.nul);
        CHECK_FALSE(literal.astring());  // a sunk literal is no mailbox name
        REQUIRE(factory.sinks.size() == 1);
        CHECK(literal.sink == factory.sinks[0]);
        CHECK(factory.sinks[0]->bytes == message);
        if (step == 1) CHECK(factory.sinks[0]->writes == message.size());
        REQUIRE(factory.asked.size() == 1);
        CHECK(factory.commands[0] == "APPEND");
        CHECK(factory.asked[0].size == message.size());
        CHECK_FALSE(factory.asked[0].sync);
        CHECK_FALSE(factory.asked[0].binary);
        CHECK(parser.idle());
    }
}

TEST_CASE("the factory decides literal by literal; the rest stay in memory", "[parser][sink]") {
    Factory factory;
    CommandParser parser;
    parser.set_literal_sink(factory.make());
    size_t used = 0;
    // Small: kept in the token as ever.
    ParseResult r = parser.feed("a APPEND INBOX {5+}\r\nhello\r\n", used);
    REQUIRE(r.status == Status::command);
    CHECK(r.command.args[1].text == "hello");
    CHECK(r.command.args[1].size == 5);
    CHECK_FALSE(r.command.args[1].sink);
    // Not APPEND: kept too, whatever its size.
    const std::string long_name(50, 'n');
    r = parser.feed("b CREATE {50+}\r\n" + long_name + "\r\n", used);
    REQUIRE(r.status == Status::command);
    CHECK(r.command.args[0].text == long_name);
    CHECK(factory.sinks.empty());
    REQUIRE(factory.commands.size() == 2);
    CHECK(factory.commands[1] == "CREATE");
}

TEST_CASE("a synchronizing literal8 is announced, continued, then sunk with its NUL noted", "[parser][sink]") {
    Factory factory;
    CommandParser parser;
    parser.set_literal_sink(factory.make());
    const std::string message("Subject: n\r\n\r\nbefore\0after\r\n", 28);
    size_t used = 0;
    ParseResult r = parser.feed("a APPEND INBOX ~{28}\r\n", used);
    REQUIRE(r.continuation);
    CHECK(r.literal_size == 28);
    REQUIRE(factory.asked.size() == 1);
    CHECK(factory.asked[0].sync);
    CHECK(factory.asked[0].binary);
    r = feed_in_steps(parser, message + "\r\n", 5);
    REQUIRE(r.status == Status::command);
    const Token& literal = r.command.args[1];
    CHECK(literal.binary);
    CHECK(literal.nul);
    CHECK(literal.text.empty());
    CHECK(factory.sinks.at(0)->bytes == message);
}

TEST_CASE("NUL is noted in literals kept in memory too", "[parser][sink]") {
    CommandParser parser;
    size_t used = 0;
    ParseResult r = parser.feed(std::string("a APPEND INBOX {3+}\r\na\0b\r\n", 26), used);
    REQUIRE(r.status == Status::command);
    CHECK(r.command.args[1].nul);
    r = parser.feed("b APPEND INBOX {3+}\r\nabc\r\n", used);
    REQUIRE(r.status == Status::command);
    CHECK_FALSE(r.command.args[1].nul);
}

TEST_CASE("a refused or abandoned command lets its sink go", "[parser][sink]") {
    Factory factory;
    std::weak_ptr<RecordingSink> sink;
    {
        CommandParser parser;
        parser.set_literal_sink(factory.make());
        size_t used = 0;
        ParseResult r = parser.feed("a APPEND INBOX {100}\r\n", used);
        REQUIRE(r.continuation);
        sink = factory.sinks.at(0);
        factory.sinks.clear();
        parser.reset();  // refused instead of "+" (TOOBIG)
        CHECK(sink.expired());

        parser.feed("b APPEND INBOX {100+}\r\n" + std::string(40, 'y'), used);  // the client leaves here
        sink = factory.sinks.at(0);
        factory.sinks.clear();
        CHECK(sink.lock()->bytes == std::string(40, 'y'));
        CHECK_FALSE(sink.expired());  // the parser holds the command under way
    }
    CHECK(sink.expired());  // and lets it go with the session
}

TEST_CASE("a syntax error after a sunk literal drops its sink", "[parser][sink]") {
    Factory factory;
    CommandParser parser;
    parser.set_literal_sink(factory.make());
    size_t used = 0;
    ParseResult r = parser.feed("a APPEND INBOX {20+}\r\n" + std::string(20, 'z') + " \"unterminated\r\n", used);
    REQUIRE(r.status == Status::error);
    REQUIRE(factory.sinks.size() == 1);
    std::weak_ptr<RecordingSink> sink = factory.sinks[0];
    factory.sinks.clear();
    CHECK(sink.expired());
    CHECK(parser.idle());
}
