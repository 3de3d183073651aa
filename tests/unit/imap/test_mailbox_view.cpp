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
    store::MailboxSnapshot snapshot;
    snapshot.box.id = 7;
    snapshot.box.uidvalidity = 99;
    snapshot.box.uidnext = uids.empty() ? 1 : uids.back() + 1;
    snapshot.box.highestmodseq = 100;
    snapshot.uids = uids;
    snapshot.keywords = {"$Work"};
    MailboxView v;
    v.load(snapshot, first_recent);
    return v;
}

std::vector<uint32_t> seqs_of(const std::vector<FlagChange>& changes) {
    std::vector<uint32_t> out;
    for (const auto& c : changes) out.push_back(c.seq);
    return out;
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
    CHECK(v.is_recent(9));
    CHECK_FALSE(v.is_recent(5));
    CHECK(v.uid_at(3) == 9);
    CHECK(v.keywords() == std::set<std::string>{"$Work"});
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
    CHECK(v.is_expunged(2));
    CHECK(v.live_uids() == std::vector<uint32_t>{1, 3});
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
    CHECK(seqs_of(a.flag_changes) == std::vector<uint32_t>{2});
    CHECK(a.flag_changes[0].info.flags == store::flag_seen);
    CHECK(v.is_recent(4));
    CHECK_FALSE(v.is_recent(3));
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
    CHECK(v.uid_at(3) == 4);
}

TEST_CASE("Own changes are not announced again") {
    MailboxView v = view_of({1, 2, 3});
    v.set_flags(msg(2, 140, store::flag_deleted));
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

TEST_CASE("Changes by others after an own STORE are announced") {
    MailboxView v = view_of({1, 2});
    auto own = msg(1, 101, store::flag_seen);
    own.keywords = {"$Later"};
    v.set_flags(own);
    CHECK(v.keywords().count("$Later"));
    // Another session changed it again after our STORE.
    v.apply({own, msg(1, 102, store::flag_flagged)}, {}, 102, 3);
    Announcements a = v.take(true);
    REQUIRE(a.flag_changes.size() == 1);
    CHECK(a.flag_changes[0].info.flags == store::flag_flagged);
    CHECK(a.flag_changes[0].info.modseq == 102);
}

TEST_CASE("\\Recent covers only what this session claimed") {
    MailboxView v = view_of({1, 2, 3}, 3);
    CHECK(v.recent_count() == 1);
    // Claimed by another session: not recent here.
    v.apply({msg(4, 101)}, {}, 101, 5, 0);
    CHECK_FALSE(v.is_recent(4));
    // Claimed here.
    v.apply({msg(5, 102), msg(6, 103)}, {}, 103, 7, 5);
    CHECK(v.is_recent(5));
    CHECK(v.is_recent(6));
    CHECK(v.recent_count() == 3);
    Announcements a = v.take(true);
    CHECK(a.recent == 3u);
    // Expunged recent messages no longer count.
    v.remove({3, 5});
    CHECK(v.recent_count() == 1);
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

TEST_CASE("absent_uids: the UIDs of a set that do not exist, as ranges", "[imap][qresync]") {
    auto set = [](const char* text) { return *SeqSet::parse(text); };
    CHECK(absent_uids(set("1:10"), 10, {2, 3, 7}).str() == "1,4:6,8:10");
    CHECK(absent_uids(set("1:*"), 5, {1, 2, 3, 4, 5}).empty());
    CHECK(absent_uids(set("3:4,8"), 9, {}).str() == "3:4,8");
    CHECK(absent_uids(set("5:*"), 7, {6}).str() == "5,7");  // '*' is max
    CHECK(absent_uids(set("1:4000000000"), 4000000000u, {1, 4000000000u}).str() == "2:3999999999");
}
