#include <catch2/catch.hpp>

#include "imap/list_match.hpp"
#include "imap/mailbox_view.hpp"

using namespace pochta;
using namespace pochta::imap;

namespace {

store::MessageInfo msg(uint32_t uid, uint64_t modseq, uint32_t flags = 0) {
    store::MessageInfo m;
    m.id = uid * 10;
    m.uid = uid;
    m.modseq = modseq;
    m.flags = flags;
    return m;
}

MailboxView view_of(std::vector<uint32_t> uids, uint32_t first_recent = 0) {
    store::MailboxInfo box;
    box.id = 7;
    box.uidvalidity = 99;
    box.uidnext = uids.empty() ? 1 : uids.back() + 1;
    box.highestmodseq = 100;
    std::vector<store::MessageInfo> messages;
    for (uint32_t uid : uids) messages.push_back(msg(uid, 50));
    MailboxView v;
    v.load(box, messages, first_recent);
    return v;
}

std::vector<uint32_t> resolve(const MailboxView& v, const char* set, bool uid) {
    auto r = v.resolve(*SeqSet::parse(set), uid);
    REQUIRE(r);
    return *r;
}

}  // namespace

TEST_CASE("MailboxView maps sequence numbers and UIDs") {
    MailboxView v = view_of({3, 5, 9, 12}, 9);
    CHECK(v.exists() == 4);
    CHECK(v.recent_count() == 2);
    CHECK(v.first_unseen() == 1);
    CHECK(v.seq_of(9) == 3u);
    CHECK_FALSE(v.seq_of(4));
    CHECK(v.max_uid() == 12);
    CHECK(resolve(v, "2:3", false) == std::vector<uint32_t>{2, 3});
    CHECK(resolve(v, "*", false) == std::vector<uint32_t>{4});
    CHECK(resolve(v, "4:10", true) == std::vector<uint32_t>{2, 3});
    CHECK(resolve(v, "13:*", true) == std::vector<uint32_t>{4});  // n:* with n > max names the last
    CHECK(resolve(v, "1:2", true).empty());
    CHECK_FALSE(v.resolve(*SeqSet::parse("5"), false));  // beyond EXISTS
    CHECK_FALSE(view_of({}).resolve(*SeqSet::parse("*"), false));
}

TEST_CASE("Expunges by others wait until they may be announced") {
    MailboxView v = view_of({1, 2, 3, 4});
    v.apply({}, {2, 4}, 101, 5);
    // Still numbered as the client knows them.
    CHECK(v.exists() == 4);
    CHECK(v.at(2).expunged);
    Announcements quiet = v.take(false);
    CHECK(quiet.expunged.empty());
    CHECK(v.exists() == 4);
    Announcements a = v.take(true);
    CHECK(a.expunged == std::vector<uint32_t>{4, 2});  // highest first: each valid when sent
    CHECK_FALSE(a.exists);
    CHECK(v.exists() == 2);
    CHECK(v.seq_of(3) == 2u);
    CHECK(v.take(true).empty());
}

TEST_CASE("New messages and flag changes are announced once") {
    MailboxView v = view_of({1, 2});
    auto changed = msg(2, 120, store::flag_seen);
    v.apply({changed, msg(3, 121), msg(4, 122)}, {}, 122, 5, 4);
    CHECK(v.modseq() == 122);
    CHECK(v.uidnext() == 5);
    Announcements a = v.take(false);
    REQUIRE(a.exists);
    CHECK(*a.exists == 4);
    CHECK(a.recent == 1u);
    CHECK(a.flag_changes == std::vector<uint32_t>{2});
    CHECK(v.at(2).info.flags == store::flag_seen);
    CHECK(v.take(true).empty());
    // The same rows seen again (a refresh racing a commit) change nothing.
    v.apply({changed, msg(3, 121)}, {}, 122, 5);
    CHECK(v.take(true).empty());
}

TEST_CASE("EXISTS counts pending expunges while EXPUNGE may not be sent") {
    MailboxView v = view_of({1, 2, 3});
    v.apply({msg(4, 130)}, {1}, 130, 5);
    Announcements a = v.take(false);
    REQUIRE(a.exists);
    CHECK(*a.exists == 4);
    Announcements b = v.take(true);
    CHECK(b.expunged == std::vector<uint32_t>{1});
    CHECK_FALSE(b.exists);
    CHECK(v.exists() == 3);
    CHECK(v.at(3).info.uid == 4);
}

TEST_CASE("Own changes are not announced again") {
    MailboxView v = view_of({1, 2, 3});
    v.set_flags(msg(2, 140, store::flag_deleted));
    CHECK(v.at(2).info.flags == store::flag_deleted);
    v.apply({msg(2, 140, store::flag_deleted)}, {}, 140, 4);
    CHECK(v.take(true).empty());
    Announcements removed = v.remove({1, 3});
    CHECK(removed.expunged == std::vector<uint32_t>{3, 1});
    CHECK(removed.expunged_uids == std::vector<uint32_t>{3, 1});
    CHECK(v.exists() == 1);
    v.apply({}, {1, 3}, 141, 4);  // the store reports them too: nothing new
    CHECK(v.take(true).empty());
    CHECK(v.exists() == 1);
}

TEST_CASE("Expunges carry the UIDs for QRESYNC's VANISHED") {
    MailboxView v = view_of({3, 5, 8, 9});
    v.apply({}, {5, 9}, 120, 10);
    Announcements a = v.take(true);
    CHECK(a.expunged == std::vector<uint32_t>{4, 2});
    CHECK(a.expunged_uids == std::vector<uint32_t>{9, 5});
    // Held back (FETCH without UID): nothing yet, both later.
    v.apply({}, {3}, 121, 10);
    CHECK(v.take(false).expunged_uids.empty());
    CHECK(v.take(true).expunged_uids == std::vector<uint32_t>{3});
}

TEST_CASE("A message expunged before it was announced is never shown") {
    MailboxView v = view_of({1});
    v.apply({msg(2, 150)}, {}, 150, 3);
    v.apply({}, {2}, 151, 3);
    Announcements a = v.take(true);
    CHECK(a.expunged.empty());
    CHECK_FALSE(a.exists);
    CHECK(v.exists() == 1);
}

TEST_CASE("LIST wildcards") {
    CHECK(list_match("*", "INBOX"));
    CHECK(list_match("*", "a/b/c"));
    CHECK(list_match("%", "Sent"));
    CHECK_FALSE(list_match("%", "a/b"));
    CHECK(list_match("a/%", "a/b"));
    CHECK_FALSE(list_match("a/%", "a/b/c"));
    CHECK(list_match("a/*", "a/b/c"));
    CHECK_FALSE(list_match("a/*", "a"));
    CHECK(list_match("inbox", "INBOX"));
    CHECK(list_match("Inbox/%", "INBOX/x"));
    CHECK_FALSE(list_match("sent", "Sent"));  // only INBOX is case-insensitive
    CHECK(list_match("S%t", "Sent"));
    CHECK(list_match("%/%", "a/b"));
    CHECK_FALSE(list_match("", "a"));
    CHECK(list_match("*%*%*%*%*%*%*%*%*%*%*%*%x", std::string(5000, 'a') + "x"));
    CHECK_FALSE(list_match("*%*%*%*%*%*%*%*%*%*%*%*%x", std::string(5000, 'a')));
    CHECK(join_list_pattern("a/", "%") == "a/%");
    CHECK(join_list_pattern("a/", "/b") == "a/b");
    CHECK(join_list_pattern("", "x") == "x");
}
