// Maildir names, dovecot-uidlist, dovecot-keywords and Maildir++ folder
// names (transfer/maildir_format.cpp), in the forms Dovecot 2.3 writes.
#include <catch2/catch.hpp>

#include "store/store.hpp"
#include "transfer/maildir_format.hpp"

using namespace pochta::transfer;
using namespace pochta::store;

TEST_CASE("Maildir file names give their base, flags and keyword letters") {
    auto name = parse_maildir_name("1796689753.M173114P10703.vm,S=30,W=34:2,FRSTab");
    REQUIRE(name);
    CHECK(name->base == "1796689753.M173114P10703.vm,S=30,W=34");
    CHECK(name->flags == (flag_flagged | flag_answered | flag_seen | flag_deleted));
    CHECK(name->keyword_letters == "ab");
    auto plain = parse_maildir_name("1796689753.M1P2.host");
    REQUIRE(plain);
    CHECK(plain->base == "1796689753.M1P2.host");
    CHECK(plain->flags == 0);
    CHECK(parse_maildir_name("1.M1.host:2,P")->flags == 0);  // passed has no IMAP flag
    CHECK(parse_maildir_name("1.M1.host:2,D")->flags == flag_draft);
    CHECK_FALSE(parse_maildir_name(".hidden"));
    CHECK_FALSE(parse_maildir_name(""));
    CHECK_FALSE(parse_maildir_name("a\nb"));
    CHECK_FALSE(parse_maildir_name(std::string(2000, 'x')));
}

TEST_CASE("maildir_info writes flags in Maildir's order") {
    CHECK(maildir_info(flag_seen | flag_draft | flag_answered, "ca") == ":2,DRSac");
    CHECK(maildir_info(0, "") == ":2,");
}

TEST_CASE("dovecot-uidlist version 3 as Dovecot 2.3 writes it") {
    const auto list = parse_uidlist(
        "3 V1796689753 N1 Ge14a560a594f176bcf29000083ecc375\n"
        "1 :1796689753.M173114P10703.vm,S=30,W=34\n"
        "5 W123 S120 :1796689754.M2P1.vm\n"
        "5 :duplicate\n"
        "garbage\n");
    CHECK(list.error.empty());
    CHECK(list.uidvalidity == 1796689753);
    CHECK(list.uidnext == 1);  // Dovecot lets N lag: the caller takes the last UID into account
    REQUIRE(list.entries.size() == 2);
    CHECK(list.entries[0].uid == 1);
    CHECK(list.entries[0].base == "1796689753.M173114P10703.vm,S=30,W=34");
    CHECK(list.entries[1].uid == 5);
    CHECK(list.entries[1].base == "1796689754.M2P1.vm");
    CHECK(list.bad_lines == 2);
}

TEST_CASE("dovecot-uidlist version 1 and refused headers") {
    const auto v1 = parse_uidlist("1 1000 7\n3 name.host\n");
    CHECK(v1.uidvalidity == 1000);
    CHECK(v1.uidnext == 7);
    REQUIRE(v1.entries.size() == 1);
    CHECK(v1.entries[0].base == "name.host");
    CHECK_FALSE(parse_uidlist("3 N5\n1 :x\n").error.empty());
    CHECK_FALSE(parse_uidlist("").error.empty());
    CHECK(parse_uidlist(uidlist_header(42, 9)).uidvalidity == 42);
}

TEST_CASE("dovecot-keywords maps letters to names") {
    const auto slots = parse_keywords("0 $Label1\n1 custom\n30 out\nx bad\n");
    REQUIRE(slots.size() == 26);
    CHECK(slots[0] == "$Label1");
    CHECK(slots[1] == "custom");
    CHECK(slots[2].empty());
}

TEST_CASE("Maildir++ folder names, with modified UTF-7") {
    CHECK(folder_from_maildir(".Work.Sub") == "Work/Sub");
    CHECK(folder_from_maildir(".&BB8EQAQ4BDIENQRC-") == "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82");
    CHECK_FALSE(folder_from_maildir("."));
    CHECK_FALSE(folder_from_maildir(".."));
    CHECK_FALSE(folder_from_maildir(".a..b"));
    CHECK_FALSE(folder_from_maildir("cur"));
    CHECK(maildir_from_folder("INBOX") == "");
    CHECK(maildir_from_folder("Work/Sub") == ".Work.Sub");
    CHECK(maildir_from_folder("\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82") == ".&BB8EQAQ4BDIENQRC-");
    CHECK_FALSE(maildir_from_folder("v1.2"));
}

TEST_CASE("Dovecot's subscriptions file, as doveadm 2.3 writes it") {
    const std::string dovecot = "V\t2\n\nWork\tProjects\n&BB8EQAQ4BDIENQRC-\n";
    const std::vector<std::string> names{"Work/Projects", "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82"};
    CHECK(parse_subscriptions(dovecot) == names);
    CHECK(subscriptions_file(names) == dovecot);
    CHECK(parse_subscriptions("INBOX\nOld/Style\n&bad\n") == std::vector<std::string>{"INBOX", "Old/Style"});
}
