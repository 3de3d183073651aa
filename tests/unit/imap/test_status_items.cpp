// STATUS items (shared by STATUS and LIST-STATUS) and the MODSEQ wire mapping.
#include <catch2/catch.hpp>

#include "imap/mailbox_view.hpp"
#include "imap/status_items.hpp"

using namespace pochta;
using namespace pochta::imap;

namespace {

Token atom(std::string text) {
    Token t;
    t.type = Token::Type::atom;
    t.text = std::move(text);
    return t;
}

Token list(std::vector<Token> children) {
    Token t;
    t.type = Token::Type::list;
    t.children = std::move(children);
    return t;
}

store::MessageInfo message(uint64_t crlf_size, uint32_t flags) {
    store::MessageInfo m;
    m.crlf_size = crlf_size;
    m.size = crlf_size - 1;
    m.flags = flags;
    return m;
}

}  // namespace

TEST_CASE("STATUS items are parsed case-insensitively in order") {
    std::string error;
    auto items = parse_status_items(list({atom("Messages"), atom("SIZE"), atom("highestModSeq"), atom("DELETED")}), error);
    REQUIRE(items);
    CHECK(*items == std::vector<std::string>{"messages", "size", "highestmodseq", "deleted"});
    CHECK(status_needs_messages(*items));
    items = parse_status_items(list({atom("UIDNEXT"), atom("UNSEEN"), atom("MAILBOXID"), atom("UIDVALIDITY")}), error);
    REQUIRE(items);
    CHECK_FALSE(status_needs_messages(*items));
    // RECENT outside the selected mailbox counts the unclaimed messages.
    items = parse_status_items(list({atom("RECENT")}), error);
    REQUIRE(items);
    CHECK(status_needs_messages(*items));
}

TEST_CASE("Bad STATUS item lists are refused") {
    std::string error;
    CHECK_FALSE(parse_status_items(list({}), error));
    CHECK(error == "STATUS needs a list of items");
    CHECK_FALSE(parse_status_items(atom("MESSAGES"), error));
    CHECK_FALSE(parse_status_items(list({atom("MESSAGES"), atom("BOGUS")}), error));
    CHECK(error == "Unknown STATUS item");
    CHECK_FALSE(parse_status_items(list({list({atom("MESSAGES")})}), error));
    Token quoted = atom("MESSAGES");
    quoted.type = Token::Type::quoted;
    CHECK_FALSE(parse_status_items(list({quoted}), error));
}

TEST_CASE("STATUS values come in the order asked, SIZE in wire octets") {
    store::MailboxInfo box;
    box.messages = 3;
    box.unseen = 2;
    box.uidnext = 10;
    box.uidvalidity = 77;
    box.highestmodseq = 0;
    StatusCounts counts = count_status({message(100, 0), message(50, store::flag_deleted | store::flag_seen),
                                        message(7, store::flag_deleted)});
    CHECK(counts.size == 157);
    CHECK(counts.deleted == 2);
    std::vector<std::string> items = {"size", "messages", "recent", "highestmodseq", "deleted", "uidnext",
                                      "uidvalidity", "unseen"};
    CHECK(status_values(items, box, counts, 1) ==
          "SIZE 157 MESSAGES 3 RECENT 1 HIGHESTMODSEQ 1 DELETED 2 UIDNEXT 10 UIDVALIDITY 77 UNSEEN 2");
    CHECK(count_status({}).size == 0);
}

TEST_CASE("MODSEQ on the wire is never 0 and maps back exactly") {
    CHECK(wire_modseq(0) == 1);
    CHECK(stored_modseq(wire_modseq(41)) == 41);
    // CHANGEDSINCE 0 / UNCHANGEDSINCE 0 have no stored counterpart below 0.
    CHECK(stored_modseq(0) == 0);
    CHECK(stored_modseq(1) == 0);
}
