// parse_fetch / parse_fetch_item: every attribute, sections, partials,
// macros, modifiers, response names, errors.
#include <catch2/catch.hpp>

#include <string>

#include "imap/fetch_items.hpp"
#include "imap/parser.hpp"

using namespace pochta::imap;
using Kind = FetchItem::Kind;
using Text = FetchSection::Text;

namespace {

std::vector<Token> args_of(std::string_view args) {
    CommandParser parser;
    std::string line = "t FETCH " + std::string(args) + "\r\n";
    size_t used = 0;
    ParseResult r = parser.feed(line, used);
    INFO(line);
    REQUIRE(r.status == ParseResult::Status::command);
    return std::move(r.command.args);
}

// FETCH arguments after the sequence set, as response names joined by spaces.
std::string names(std::string_view args, bool uid = false) {
    std::vector<Token> tokens = args_of(args);
    std::string error;
    std::optional<FetchRequest> request = parse_fetch(tokens, uid, error);
    INFO(std::string(args) << " -> " << error);
    REQUIRE(request);
    std::string out;
    for (const FetchItem& item : request->items) out += (out.empty() ? "" : " ") + item.response_name();
    return out;
}

std::string fetch_error(std::string_view args, bool uid = false) {
    std::vector<Token> tokens = args_of(args);
    std::string error;
    INFO(std::string(args));
    CHECK_FALSE(parse_fetch(tokens, uid, error));
    CHECK_FALSE(error.empty());
    return error;
}

FetchItem item(std::string_view text) {
    std::string error;
    std::optional<FetchItem> it = parse_fetch_item(text, error);
    INFO(std::string(text) << " -> " << error);
    REQUIRE(it);
    return *it;
}

}  // namespace

TEST_CASE("simple items and macros", "[fetch]") {
    struct Case {
        const char* args;
        const char* names;
    };
    const Case cases[] = {
        {"FLAGS", "FLAGS"},
        {"flags", "FLAGS"},
        {"(UID FLAGS)", "UID FLAGS"},
        {"(ENVELOPE INTERNALDATE RFC822.SIZE)", "ENVELOPE INTERNALDATE RFC822.SIZE"},
        {"(RFC822 RFC822.HEADER RFC822.TEXT)", "RFC822 RFC822.HEADER RFC822.TEXT"},
        {"(BODY BODYSTRUCTURE MODSEQ)", "BODY BODYSTRUCTURE MODSEQ"},
        {"ALL", "FLAGS INTERNALDATE RFC822.SIZE ENVELOPE"},
        {"fast", "FLAGS INTERNALDATE RFC822.SIZE"},
        {"FULL", "FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODY"},
    };
    for (const Case& c : cases) CHECK(names(c.args) == c.names);
}

TEST_CASE("sections and partials", "[fetch]") {
    struct Case {
        const char* args;
        const char* names;
    };
    const Case cases[] = {
        {"BODY[]", "BODY[]"},
        {"BODY.PEEK[]", "BODY[]"},
        {"body.peek[header]", "BODY[HEADER]"},
        {"BODY[TEXT]", "BODY[TEXT]"},
        {"BODY[1]", "BODY[1]"},
        {"BODY[1.2.3]", "BODY[1.2.3]"},
        {"BODY[1.2.MIME]", "BODY[1.2.MIME]"},
        {"BODY[2.HEADER]", "BODY[2.HEADER]"},
        {"BODY[3.TEXT]", "BODY[3.TEXT]"},
        {"BODY.PEEK[HEADER.FIELDS (From To)]<0.100>", "BODY[HEADER.FIELDS (FROM TO)]<0>"},
        {"BODY[HEADER.FIELDS.NOT (x-spam \"X-Other\")]", "BODY[HEADER.FIELDS.NOT (X-SPAM X-OTHER)]"},
        {"BODY[1.HEADER.FIELDS (Subject)]", "BODY[1.HEADER.FIELDS (SUBJECT)]"},
        {"BODY[]<10.20>", "BODY[]<10>"},
        {"BINARY[1]", "BINARY[1]"},
        {"BINARY.PEEK[1.2]<0.1024>", "BINARY[1.2]<0>"},
        {"BINARY[]", "BINARY[]"},
        {"BINARY.SIZE[3]", "BINARY.SIZE[3]"},
        {"(UID BODY.PEEK[HEADER.FIELDS (DATE FROM)] BODY[TEXT]<0.2048>)",
         "UID BODY[HEADER.FIELDS (DATE FROM)] BODY[TEXT]<0>"},
    };
    for (const Case& c : cases) CHECK(names(c.args) == c.names);
}

TEST_CASE("item details", "[fetch]") {
    FetchItem it = item("BODY.PEEK[1.2.HEADER.FIELDS (From to)]<5.10>");
    CHECK(it.kind == Kind::body_section);
    CHECK(it.peek);
    CHECK(it.section.part == std::vector<uint32_t>{1, 2});
    CHECK(it.section.text == Text::header_fields);
    CHECK(it.section.fields == std::vector<std::string>{"From", "to"});  // as sent
    REQUIRE(it.partial);
    CHECK(*it.partial == FetchPartial{5, 10});
    CHECK_FALSE(it.sets_seen());

    CHECK(item("BODY[]").sets_seen());
    CHECK(item("BINARY[1]").sets_seen());
    CHECK_FALSE(item("BINARY.PEEK[1]").sets_seen());
    CHECK_FALSE(item("BINARY.SIZE[1]").sets_seen());
    CHECK(item("RFC822").sets_seen());
    CHECK(item("RFC822.TEXT").sets_seen());
    CHECK_FALSE(item("RFC822.HEADER").sets_seen());
    CHECK_FALSE(item("BODY").sets_seen());
    CHECK(item("BODY").kind == Kind::body);
    CHECK(item("BINARY.SIZE[2]").kind == Kind::binary_size);
    CHECK(item("BODY[4294967295]").section.part == std::vector<uint32_t>{4294967295u});
    CHECK(item("BODY[]<0.9223372036854775807>").partial->count == 9223372036854775807ull);
}

TEST_CASE("modifiers", "[fetch]") {
    std::string error;
    std::vector<Token> tokens = args_of("(FLAGS) (CHANGEDSINCE 12345)");
    std::optional<FetchRequest> r = parse_fetch(tokens, false, error);
    REQUIRE(r);
    CHECK(r->changedsince == 12345u);
    CHECK_FALSE(r->vanished);

    tokens = args_of("(FLAGS) (CHANGEDSINCE 1 VANISHED)");
    r = parse_fetch(tokens, true, error);
    REQUIRE(r);
    CHECK(r->vanished);
    CHECK(r->changedsince == 1u);

    tokens = args_of("FLAGS (vanished changedsince 7)");
    r = parse_fetch(tokens, true, error);
    REQUIRE(r);
    CHECK(r->vanished);

    CHECK(fetch_error("(FLAGS) (CHANGEDSINCE 1 VANISHED)", false) == "VANISHED needs UID FETCH and CHANGEDSINCE");
    CHECK(fetch_error("(FLAGS) (VANISHED)", true) == "VANISHED needs UID FETCH and CHANGEDSINCE");
    fetch_error("(FLAGS) (CHANGEDSINCE)");
    fetch_error("(FLAGS) (CHANGEDSINCE x)");
    fetch_error("(FLAGS) (CHANGEDSINCE 9223372036854775808)");
    fetch_error("(FLAGS) (CHANGEDSINCE 1 CHANGEDSINCE 2)");
    fetch_error("(FLAGS) (CHANGEDSINCE 1 VANISHED VANISHED)", true);
    fetch_error("(FLAGS) (BOGUS)");
    fetch_error("(FLAGS) CHANGEDSINCE");
    fetch_error("(FLAGS) (CHANGEDSINCE 1) extra");
}

TEST_CASE("fetch errors", "[fetch]") {
    const char* cases[] = {
        "BOGUS",
        "()",
        "(FLAGS BOGUS)",
        "(FLAGS ALL)",           // macros only stand alone
        "(FLAGS (UID))",
        "(FLAGS \"UID\")",
        "\"FLAGS\"",
        "BODY.PEEK",
        "ENVELOPE[]",
        "RFC822[]",
        "BODY[",
        "BODY[MIME]",            // MIME needs a part
        "BODY[0]",
        "BODY[01]",
        "BODY[1.]",
        "BODY[.1]",
        "BODY[1..2]",
        "BODY[4294967296]",
        "BODY[1.BOGUS]",
        "BODY[HEADER.FIELDS]",
        "BODY[HEADER.FIELDS ()]",
        "BODY[HEADER.FIELDS (a:b)]",
        "BODY[HEADER.FIELDS (\"a b\")]",
        "BODY[HEADER.FIELDS (a  b)]",
        "BODY[HEADER.FIELDS (a) x]",
        "BODY[HEADER.FIELDS(a)]",
        "BODY[HEADER x]",
        "BODY[TEXT ]",
        "BODY[ TEXT]",
        "BODY[]<>",
        "BODY[]<1>",
        "BODY[]<1.0>",
        "BODY[]<a.b>",
        "BODY[]<1.2",
        "BODY[]x",
        "BODY[]<1.2>x",
        "BINARY[HEADER]",
        "BINARY[1.MIME]",
        "BINARY.SIZE[1]<0.5>",
        "BINARY.SIZE",
        "BINARY.PEEK",
    };
    for (const char* args : cases) fetch_error(args);
    std::string error;
    CHECK_FALSE(parse_fetch({}, false, error));
    CHECK(error == "FETCH needs items");

    std::string many = "BODY[";
    for (int i = 0; i < 150; ++i) many += "1.";
    many += "1]";
    CHECK(fetch_error(many) == "section part nested too deeply");
}

TEST_CASE("OBJECTID, SAVEDATE and PREVIEW items, PREVIEW (LAZY)", "[imap][fetch]") {
    std::string error;
    for (const char* name : {"EMAILID", "THREADID", "SAVEDATE", "PREVIEW"}) {
        auto item = parse_fetch_item(name, error);
        REQUIRE(item);
        CHECK(item->response_name() == name);
        CHECK_FALSE(item->sets_seen());
    }
}

TEST_CASE("PREVIEW takes the LAZY modifier and nothing else", "[imap][fetch]") {
    CHECK(names("(UID PREVIEW (LAZY) FLAGS)") == "UID PREVIEW FLAGS");
    CHECK(names("(PREVIEW (lazy))") == "PREVIEW");
    CHECK(fetch_error("(PREVIEW (FAST))") == "invalid PREVIEW modifier");
    CHECK(fetch_error("(FLAGS (LAZY))") == "invalid FETCH item");
}
