// The pure helpers behind the store: mailbox names, keywords, CRLF sizes.
#include <catch2/catch.hpp>

#include "store/keywords.hpp"
#include "store/mailbox_names.hpp"
#include "store/message_prep.hpp"
#include "store/store.hpp"

using namespace pochta::store;

TEST_CASE("mailbox names: INBOX is canonical in any case, others exact", "[store][names]") {
    CHECK(canonical_mailbox_name("inbox") == "INBOX");
    CHECK(canonical_mailbox_name("InBoX") == "INBOX");
    CHECK(canonical_mailbox_name("Inbox/Sub") == "Inbox/Sub");
    CHECK(canonical_mailbox_name("Sent") == "Sent");
    CHECK(canonical_mailbox_name("sent") == "sent");
    CHECK(is_inbox("INBOX"));
    CHECK_FALSE(is_inbox("INBOX2"));
}

TEST_CASE("mailbox names: the store refuses what breaks its hierarchy", "[store][names]") {
    CHECK_NOTHROW(check_mailbox_name("a"));
    CHECK_NOTHROW(check_mailbox_name("Projects/2026/Q1"));
    CHECK_NOTHROW(check_mailbox_name(std::string(max_mailbox_name_length, 'x')));
    CHECK_THROWS_AS(check_mailbox_name(""), StoreError);
    CHECK_THROWS_AS(check_mailbox_name("/a"), StoreError);
    CHECK_THROWS_AS(check_mailbox_name("a/"), StoreError);
    CHECK_THROWS_AS(check_mailbox_name("/"), StoreError);
    CHECK_THROWS_AS(check_mailbox_name("a//b"), StoreError);
    CHECK_THROWS_AS(check_mailbox_name(std::string("a\0b", 3)), StoreError);
    CHECK_THROWS_AS(check_mailbox_name(std::string(max_mailbox_name_length + 1, 'x')), StoreError);
}

TEST_CASE("mailbox names: inferiors", "[store][names]") {
    CHECK(is_inferior("a/b", "a"));
    CHECK(is_inferior("a/b/c", "a"));
    CHECK_FALSE(is_inferior("a", "a"));
    CHECK_FALSE(is_inferior("ab", "a"));
    CHECK_FALSE(is_inferior("a/", "a"));
    CHECK_FALSE(is_inferior("b/a", "a"));
    // Every inferior sorts inside [low, high); siblings sharing the prefix do not.
    const std::string low = inferiors_low("a"), high = inferiors_high("a");
    for (std::string name : std::vector<std::string>{"a/b", "a/zzz", "a/\x7f", "a/\xff"}) {
        CHECK(name >= low);
        CHECK(name < high);
    }
    for (std::string name : std::vector<std::string>{"a", "ab", "a.b", "a0", "b"}) CHECK_FALSE((name >= low && name < high));
}

TEST_CASE("keywords: atoms only, duplicates folded case-insensitively", "[store][keywords]") {
    CHECK(normalize_keywords({"$Junk", "work", "$junk", "WORK", "x"}) ==
          std::vector<std::string>{"$Junk", "work", "x"});
    CHECK(normalize_keywords({}).empty());
    for (const std::string& bad : std::vector<std::string>{"", "two words", "par(en", "a\"b", "back\\slash", "br]acket", "wild*", "per%cent",
                            "brace{", std::string("nul\0", 4), "\x01", "caf\xc3\xa9"})
        CHECK_THROWS_AS(normalize_keywords({bad}), StoreError);
    CHECK_THROWS_AS(check_keyword(std::string(max_keyword_length + 1, 'k')), StoreError);
    std::vector<std::string> many;
    for (size_t i = 0; i <= max_keywords_per_message; ++i) many.push_back("k" + std::to_string(i));
    CHECK_THROWS_AS(normalize_keywords(many), StoreError);
}

TEST_CASE("keywords: set operations keep existing spellings", "[store][keywords]") {
    const std::vector<std::string> have{"$Label1", "Work"};
    CHECK(keywords_union(have, {"work", "New"}) == std::vector<std::string>{"$Label1", "Work", "New"});
    CHECK(keywords_minus(have, {"WORK", "absent"}) == std::vector<std::string>{"$Label1"});
    CHECK(same_keywords({"a", "B"}, {"b", "A"}));
    CHECK_FALSE(same_keywords({"a"}, {"a", "b"}));
    CHECK_FALSE(same_keywords({"a", "c"}, {"a", "b"}));
    CHECK(join_keywords({"a", "b"}) == "a b");
    CHECK(split_keywords(" a  b ") == std::vector<std::string>{"a", "b"});
    CHECK(split_keywords("").empty());
}

TEST_CASE("crlf size counts bare LFs twice, also across pieces", "[store][crlf]") {
    CHECK(crlf_size_of("") == 0);
    CHECK(crlf_size_of("a\r\nb\r\n") == 6);
    CHECK(crlf_size_of("a\nb\n") == 6);
    CHECK(crlf_size_of("\n\n") == 4);
    CHECK(crlf_size_of("\r\r\n\n") == 5);
    CHECK(crlf_size_of("x\r") == 2);
    // A CR at the end of one piece pairs with the LF starting the next.
    CrlfCounter split_crlf;
    split_crlf.feed("a\r");
    split_crlf.feed("\nb");
    CHECK(split_crlf.total() == 4);
    CrlfCounter split_lf;
    split_lf.feed("a");
    split_lf.feed("\nb");
    split_lf.feed("");
    split_lf.feed("\n");
    CHECK(split_lf.total() == 6);
}

TEST_CASE("prepare_message hashes, counts and parses", "[store][crlf]") {
    const std::string msg = "Subject: hi\nContent-Type: text/plain\n\nbody\n";
    auto p = prepare_message(msg, {});
    CHECK(p.ready);
    CHECK(p.sha256.size() == 64);
    CHECK(p.crlf_size == msg.size() + 4);
    REQUIRE(p.structure);
    CHECK_FALSE(p.structure->empty());
    CHECK_FALSE(p.summary);

    auto summarized = prepare_message(msg, [](const std::string& s) { return "of " + std::to_string(s.size()); });
    REQUIRE(summarized.summary);
    CHECK(*summarized.summary == "of " + std::to_string(p.structure->size()));
}

TEST_CASE("a summarizer that throws leaves no summary", "[store]") {
    auto p = prepare_message("Subject: x\n\nbody\n", [](const std::string&) -> std::string {
        throw std::runtime_error("boom");
    });
    CHECK(p.structure);
    CHECK_FALSE(p.summary);
}
