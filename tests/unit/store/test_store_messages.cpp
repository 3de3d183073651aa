// Message operations: APPEND, flags (with UNCHANGEDSINCE), COPY/MOVE,
// EXPUNGE, CONDSTORE/QRESYNC queries, \Recent, ranges, sizes, structure.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <set>
#include <thread>

#include "common/mime/structure.hpp"
#include "store/store.hpp"
#include "tests/unit/store/store_test_util.hpp"

using namespace pochta::store;
using namespace pochta::store::testing;

namespace {

const std::string alice = "alice@example.org";

Options small_inline() {
    Options o;
    o.inline_blob_limit = 1024;
    return o;
}

AppendRequest append_to(const std::string& mailbox, std::string data, uint32_t flags = 0,
                        std::vector<std::string> keywords = {}) {
    AppendRequest r;
    r.user = alice;
    r.mailbox = mailbox;
    r.data = std::move(data);
    r.flags = flags;
    r.keywords = std::move(keywords);
    return r;
}

FlagUpdate flag_update(std::vector<uint32_t> uids, FlagOp op, uint32_t flags, std::vector<std::string> keywords = {}) {
    FlagUpdate u;
    u.uids = std::move(uids);
    u.op = op;
    u.flags = flags;
    u.keywords = std::move(keywords);
    return u;
}

std::vector<uint32_t> uids_of(const std::vector<MessageInfo>& messages) {
    std::vector<uint32_t> out;
    for (const auto& m : messages) out.push_back(m.uid);
    return out;
}

// A mailbox of `n` appended messages.
MailboxInfo filled(Store& store, const std::string& name, int n) {
    auto box = store.create_mailbox(alice, name);
    for (int i = 0; i < n; ++i) store.append(append_to(name, message_text(100, 'a' + i % 26, name + std::to_string(i))));
    return *store.find_mailbox(alice, name);
}

}  // namespace

TEST_CASE("append stores the message with flags, keywords and date", "[store][append]") {
    TempDir tmp;
    auto store = Store::open(tmp.data());
    store->ensure_user(alice);
    const auto drafts = *store->find_mailbox(alice, "Drafts");
    auto r = append_to("Drafts", "Subject: draft\r\n\r\nhello\r\n", flag_draft | flag_seen | 0x1000,
                       {"$Label1", "work", "WORK"});
    r.internal_date = 1700000000;
    auto res = store->append(r);
    CHECK(res.uidvalidity == drafts.uidvalidity);
    CHECK(res.uid == 1);
    auto res2 = store->append(append_to("Drafts", "second"));
    CHECK(res2.uid == 2);

    auto msgs = store->list_messages(drafts.id);
    REQUIRE(msgs.size() == 2);
    CHECK(msgs[0].flags == (flag_draft | flag_seen));  // unknown bits dropped
    CHECK(msgs[0].keywords == std::vector<std::string>{"$Label1", "work"});
    CHECK(msgs[0].internal_date == 1700000000);
    CHECK(msgs[0].size == r.data.size());
    CHECK(msgs[0].crlf_size == r.data.size());
    CHECK(msgs[0].modseq == 1);
    CHECK(msgs[1].modseq == 2);
    CHECK(msgs[1].internal_date > 1700000000);  // 0 = now
    CHECK(msgs[0].pop3_uidl != msgs[1].pop3_uidl);
    CHECK(store->read_message(msgs[0].id) == r.data);
    auto box = *store->find_mailbox(alice, "Drafts");
    CHECK(box.uidnext == 3);
    CHECK(box.highestmodseq == 2);
    CHECK(box.messages == 2);
    CHECK(box.unseen == 1);

    // INBOX by any spelling.
    CHECK(store->append(append_to("inbox", "to inbox")).uid == 1);
}

TEST_CASE("append refusals", "[store][append]") {
    TempDir tmp;
    auto store = Store::open(tmp.data());
    store->ensure_user(alice);
    CHECK_THROWS_AS(store->append(append_to("Nope", "x")), MailboxNotFound);
    CHECK_THROWS_AS(store->append(append_to("sent", "x")), MailboxNotFound);  // case-sensitive
    auto r = append_to("INBOX", "x");
    r.user = "nobody@example.org";
    CHECK_THROWS_AS(store->append(r), MailboxNotFound);
    CHECK_THROWS_AS(store->append(append_to("INBOX", "x", 0, {"bad keyword"})), StoreError);
    CHECK(store->find_mailbox(alice, "INBOX")->uidnext == 1);
    CHECK(query_int(tmp.data(), "SELECT count(*) FROM blobs") == 0);
}

TEST_CASE("append shares content-addressed blobs, inline and in files", "[store][append]") {
    TempDir tmp;
    auto store = Store::open(tmp.data(), small_inline());
    store->ensure_user(alice);
    const std::string big = message_text(5000, 'B');
    store->deliver(local_delivery({alice}, big));
    store->append(append_to("Archive", big));
    store->append(append_to("Archive", message_text(300, 's')));
    store->append(append_to("Sent", message_text(300, 's')));
    CHECK(query_int(tmp.data(), "SELECT count(*) FROM blobs") == 2);
    CHECK(count_files(tmp.data() / "blobs") == 1);
    auto archive = store->list_messages(store->find_mailbox(alice, "Archive")->id);
    REQUIRE(archive.size() == 2);
    CHECK(store->read_message(archive[0].id) == big);
}

TEST_CASE("crlf_size counts bare LFs as CRLF", "[store][append]") {
    TempDir tmp;
    auto store = Store::open(tmp.data(), small_inline());
    const std::string bare = "Subject: lf\n\nline 1\nline 2\r\nline 3\n";
    store->deliver(local_delivery({alice}, bare));
    std::string big_bare = "Subject: big\n\n";
    while (big_bare.size() < 4000) big_bare += "0123456789\n";
    store->deliver(local_delivery({alice}, big_bare));
    auto msgs = store->list_messages(store->find_mailbox(alice, "INBOX")->id);
    REQUIRE(msgs.size() == 2);
    CHECK(msgs[0].size == bare.size());
    CHECK(msgs[0].crlf_size == bare.size() + 4);
    size_t lfs = std::count(big_bare.begin(), big_bare.end(), '\n');
    CHECK(msgs[1].crlf_size == big_bare.size() + lfs);
}

TEST_CASE("update_flags: add, remove, replace with keywords and modseq", "[store][flags]") {
    TempDir tmp;
    auto store = Store::open(tmp.data());
    auto box = filled(*store, "F", 4);
    const uint64_t start = box.highestmodseq;

    auto r = store->update_flags(box.id, flag_update({1, 2, 99}, FlagOp::add, flag_seen, {"$Junk"}));
    REQUIRE(r.changed.size() == 2);
    CHECK(r.modified.empty());
    CHECK(r.changed[0].uid == 1);
    CHECK(r.changed[0].flags == flag_seen);
    CHECK(r.changed[0].keywords == std::vector<std::string>{"$Junk"});
    CHECK(r.changed[0].modseq == start + 1);
    CHECK(r.changed[1].modseq == start + 1);  // one new modseq per call
    CHECK(store->find_mailbox(alice, "F")->highestmodseq == start + 1);

    // Nothing to change: no modseq spent, nothing reported.
    auto same = store->update_flags(box.id, flag_update({1, 2}, FlagOp::add, flag_seen, {"$junk"}));
    CHECK(same.changed.empty());
    CHECK(store->find_mailbox(alice, "F")->highestmodseq == start + 1);

    // Only the ones that change are reported.
    auto partial = store->update_flags(box.id, flag_update({1, 3}, FlagOp::add, flag_seen));
    REQUIRE(partial.changed.size() == 1);
    CHECK(partial.changed[0].uid == 3);
    CHECK(partial.changed[0].modseq == start + 2);

    auto removed = store->update_flags(box.id, flag_update({1, 2}, FlagOp::remove, 0, {"$JUNK"}));
    REQUIRE(removed.changed.size() == 2);
    CHECK(removed.changed[0].keywords.empty());
    CHECK(removed.changed[0].flags == flag_seen);

    auto replaced = store->update_flags(box.id, flag_update({1, 4}, FlagOp::replace, flag_flagged, {"a", "b"}));
    REQUIRE(replaced.changed.size() == 2);
    auto msgs = store->list_messages(box.id);
    CHECK(msgs[0].flags == flag_flagged);
    CHECK(msgs[0].keywords == std::vector<std::string>{"a", "b"});
    CHECK(msgs[3].flags == flag_flagged);
    CHECK(msgs[1].flags == flag_seen);
    // Replacing with the same set in another case and order changes nothing.
    CHECK(store->update_flags(box.id, flag_update({1}, FlagOp::replace, flag_flagged, {"B", "A"})).changed.empty());

    CHECK_THROWS_AS(store->update_flags(box.id, flag_update({1}, FlagOp::add, 0, {"no good"})), StoreError);
    CHECK_THROWS_AS(store->update_flags(987654, flag_update({1}, FlagOp::add, flag_seen)), MailboxNotFound);
}

TEST_CASE("update_flags: UNCHANGEDSINCE refuses messages changed later", "[store][flags]") {
    TempDir tmp;
    auto store = Store::open(tmp.data());
    auto box = filled(*store, "C", 3);  // modseqs 1, 2, 3
    store->update_flags(box.id, flag_update({1}, FlagOp::add, flag_answered));  // uid 1 -> modseq 4

    auto u = flag_update({1, 2, 3}, FlagOp::add, flag_deleted);
    u.unchanged_since = 2;
    auto r = store->update_flags(box.id, u);
    CHECK(r.modified == std::vector<uint32_t>{1, 3});
    REQUIRE(r.changed.size() == 1);
    CHECK(r.changed[0].uid == 2);
    CHECK(r.changed[0].modseq == 5);
    auto msgs = store->list_messages(box.id);
    CHECK((msgs[0].flags & flag_deleted) == 0);
    CHECK((msgs[2].flags & flag_deleted) == 0);

    // UNCHANGEDSINCE 0 always fails.
    auto zero = flag_update({2}, FlagOp::remove, flag_deleted);
    zero.unchanged_since = 0;
    auto z = store->update_flags(box.id, zero);
    CHECK(z.modified == std::vector<uint32_t>{2});
    CHECK(z.changed.empty());
}

TEST_CASE("copy keeps flags and content, gets new UIDs and UIDLs", "[store][copy]") {
    TempDir tmp;
    auto store = Store::open(tmp.data());
    auto src = filled(*store, "Src", 4);
    store->update_flags(src.id, flag_update({2}, FlagOp::add, flag_flagged, {"$Important"}));
    auto dst = store->create_mailbox(alice, "Dst");
    store->append(append_to("Dst", "existing"));
    const auto blobs = query_int(tmp.data(), "SELECT count(*) FROM blobs");

    auto r = store->copy_messages(src.id, {4, 2, 77, 2}, dst.id, false);
    CHECK(r.uidvalidity == dst.uidvalidity);
    CHECK(r.source_uids == std::vector<uint32_t>{2, 4});
    CHECK(r.dest_uids == std::vector<uint32_t>{2, 3});
    CHECK(query_int(tmp.data(), "SELECT count(*) FROM blobs") == blobs);  // no content copied

    auto s = store->list_messages(src.id);
    auto d = store->list_messages(dst.id);
    REQUIRE(s.size() == 4);
    REQUIRE(d.size() == 3);
    CHECK(d[1].flags == flag_flagged);
    CHECK(d[1].keywords == std::vector<std::string>{"$Important"});
    CHECK(d[1].internal_date == s[1].internal_date);
    CHECK(d[1].size == s[1].size);
    CHECK(d[1].crlf_size == s[1].crlf_size);
    CHECK(d[1].pop3_uidl != s[1].pop3_uidl);
    CHECK(d[1].id != s[1].id);
    CHECK(d[1].modseq == d[2].modseq);
    CHECK(store->read_message(d[2].id) == store->read_message(s[3].id));
    CHECK(store->expunged_since(src.id, 0).empty());

    // Nothing to copy: no change, but the UIDVALIDITY is still reported.
    auto none = store->copy_messages(src.id, {55}, dst.id, false);
    CHECK(none.uidvalidity == dst.uidvalidity);
    CHECK(none.dest_uids.empty());
    CHECK(store->find_mailbox(alice, "Dst")->uidnext == 4);

    CHECK_THROWS_AS(store->copy_messages(src.id, {1}, 424242, false), MailboxNotFound);
    CHECK_THROWS_AS(store->copy_messages(424242, {1}, dst.id, false), MailboxNotFound);
    store->ensure_user("bob@example.org");
    auto bobs = *store->find_mailbox("bob@example.org", "INBOX");
    CHECK_THROWS_AS(store->copy_messages(src.id, {1}, bobs.id, false), MailboxRefused);
}

TEST_CASE("move keeps the UIDL and records the source as expunged", "[store][copy]") {
    TempDir tmp;
    auto store = Store::open(tmp.data());
    auto src = filled(*store, "Src", 3);
    auto dst = store->create_mailbox(alice, "Dst");
    const auto before = store->list_messages(src.id);

    auto r = store->copy_messages(src.id, {3, 1}, dst.id, true);
    CHECK(r.source_uids == std::vector<uint32_t>{1, 3});
    CHECK(r.dest_uids == std::vector<uint32_t>{1, 2});
    auto s = store->list_messages(src.id);
    auto d = store->list_messages(dst.id);
    CHECK(uids_of(s) == std::vector<uint32_t>{2});
    REQUIRE(d.size() == 2);
    CHECK(d[0].pop3_uidl == before[0].pop3_uidl);
    CHECK(d[1].pop3_uidl == before[2].pop3_uidl);
    CHECK(store->read_message(d[1].id) == message_text(100, 'c', "Src2"));

    auto src_now = *store->find_mailbox(alice, "Src");
    CHECK(src_now.highestmodseq == src.highestmodseq + 1);
    CHECK(store->expunged_since(src.id, src.highestmodseq) == std::vector<uint32_t>{1, 3});
    CHECK(store->expunged_since(src.id, src_now.highestmodseq).empty());

    // Moving within one mailbox renumbers.
    auto again = store->copy_messages(dst.id, {1}, dst.id, true);
    CHECK(again.dest_uids == std::vector<uint32_t>{3});
    CHECK(uids_of(store->list_messages(dst.id)) == std::vector<uint32_t>{2, 3});
    CHECK(store->expunged_since(dst.id, 0) == std::vector<uint32_t>{1});
}

TEST_CASE("expunge removes messages, records them and drops unused blobs", "[store][expunge]") {
    TempDir tmp;
    auto store = Store::open(tmp.data(), small_inline());
    auto box = store->create_mailbox(alice, "E");
    store->append(append_to("E", message_text(3000, 'x')));  // a file blob
    store->append(append_to("E", message_text(100, 'y')));
    store->append(append_to("E", message_text(100, 'z')));
    store->append(append_to("Archive", message_text(100, 'z')));  // shares the last blob
    store->update_flags(box.id, flag_update({1, 3}, FlagOp::add, flag_deleted));
    const auto modseq = store->find_mailbox(alice, "E")->highestmodseq;
    REQUIRE(count_files(tmp.data() / "blobs") == 1);

    // only_deleted skips 2, which lacks \Deleted; 9 does not exist.
    auto removed = store->expunge(box.id, {3, 2, 1, 9}, true);
    CHECK(removed == std::vector<uint32_t>{1, 3});
    CHECK(uids_of(store->list_messages(box.id)) == std::vector<uint32_t>{2});
    CHECK(store->find_mailbox(alice, "E")->highestmodseq == modseq + 1);
    CHECK(store->expunged_since(box.id, modseq) == std::vector<uint32_t>{1, 3});
    CHECK(store->expunged_since(box.id, modseq + 1).empty());
    CHECK(count_files(tmp.data() / "blobs") == 0);
    CHECK(query_int(tmp.data(), "SELECT count(*) FROM blobs") == 2);  // y, and z still in Archive

    CHECK(store->expunge(box.id, {1, 3}, false).empty());  // already gone: no modseq spent
    CHECK(store->find_mailbox(alice, "E")->highestmodseq == modseq + 1);
    CHECK(store->expunge(box.id, {2}, false) == std::vector<uint32_t>{2});
    CHECK(store->expunge(box.id, {}, false).empty());
    CHECK_THROWS_AS(store->expunge(31337, {1}, false), MailboxNotFound);
    // UIDs are never reused after an expunge.
    CHECK(store->append(append_to("E", "new")).uid == 4);
}

TEST_CASE("changed_since and expunged_since follow modseqs", "[store][condstore]") {
    TempDir tmp;
    auto store = Store::open(tmp.data());
    auto box = filled(*store, "Q", 5);
    const uint64_t base = box.highestmodseq;  // 5
    CHECK(uids_of(store->changed_since(box.id, 0)) == std::vector<uint32_t>{1, 2, 3, 4, 5});
    CHECK(uids_of(store->changed_since(box.id, 3)) == std::vector<uint32_t>{4, 5});
    CHECK(store->changed_since(box.id, base).empty());

    store->update_flags(box.id, flag_update({2}, FlagOp::add, flag_seen));
    store->expunge(box.id, {4}, false);
    auto changed = store->changed_since(box.id, base);
    REQUIRE(changed.size() == 1);
    CHECK(changed[0].uid == 2);
    CHECK(changed[0].flags == flag_seen);
    CHECK(store->expunged_since(box.id, base) == std::vector<uint32_t>{4});
    CHECK(store->expunged_since(box.id, base + 2).empty());
    CHECK(store->changed_since(box.id, UINT64_MAX).empty());
    CHECK(store->changed_since(4711, 0).empty());
}

TEST_CASE("claim_recent gives each new message to one caller", "[store][recent]") {
    TempDir tmp;
    auto store = Store::open(tmp.data());
    auto box = filled(*store, "R", 3);
    CHECK(store->claim_recent(box.id) == 1);  // first session: UIDs >= 1 are recent
    CHECK(store->claim_recent(box.id) == 4);  // second session: nothing recent
    store->append(append_to("R", "new one"));
    store->append(append_to("R", "new two"));
    CHECK(store->claim_recent(box.id) == 4);
    CHECK(store->claim_recent(box.id) == 6);
    auto dst = store->create_mailbox(alice, "R2");
    store->copy_messages(box.id, {1}, dst.id, false);
    CHECK(store->claim_recent(dst.id) == 1);  // copies are recent in the destination
    CHECK_THROWS_AS(store->claim_recent(999999), MailboxNotFound);
}

TEST_CASE("claim_recent claims only below what the caller has read", "[store][recent]") {
    TempDir tmp;
    auto store = Store::open(tmp.data());
    auto box = filled(*store, "B", 5);
    CHECK(store->claim_recent(box.id, 3) == 1);   // UIDs 1-2 for the first caller
    CHECK(store->claim_recent(box.id, 2) == 3);   // nothing below 3 left; the floor never drops
    CHECK(store->claim_recent(box.id, 100) == 3); // 3-5: capped at uidnext
    CHECK(store->claim_recent(box.id) == 6);
}

TEST_CASE("claimed \\Recent floors are written behind and survive a restart", "[store][recent]") {
    TempDir tmp;
    int64_t id = 0;
    {
        auto store = Store::open(tmp.data());
        id = filled(*store, "R", 3).id;
        CHECK(store->claim_recent(id) == 1);
        // The floor is written by a queued task; a later write commits after it.
        store->create_mailbox(alice, "Later");
        CHECK(query_int(tmp.data(), "SELECT recent_floor FROM mailboxes WHERE name = 'R'") == 4);
    }
    auto store = Store::open(tmp.data());
    CHECK(store->claim_recent(id) == 4);  // nothing recent again after the restart
}

TEST_CASE("claim_recent across concurrent callers hands out each UID once", "[store][recent]") {
    TempDir tmp;
    auto store = Store::open(tmp.data());
    auto box = store->create_mailbox(alice, "RR");
    std::atomic<bool> stop{false};
    std::vector<uint32_t> claims[2];
    auto claimer = [&](int who) {
        while (!stop) claims[who].push_back(store->claim_recent(box.id));
    };
    std::thread a(claimer, 0), b(claimer, 1);
    for (int i = 0; i < 30; ++i) store->append(append_to("RR", "m" + std::to_string(i)));
    stop = true;
    a.join();
    b.join();
    // Claims are serialized by the writer, so the floor only rises: each
    // caller sees its own claims non-decreasing, and the claim returning
    // f_i marked everything below the next claim's f_(i+1), so the recent
    // intervals [f_i, f_(i+1)) never overlap.
    std::vector<uint32_t> all;
    for (auto& c : claims) {
        CHECK(std::is_sorted(c.begin(), c.end()));
        all.insert(all.end(), c.begin(), c.end());
    }
    const uint32_t last = store->claim_recent(box.id);
    all.push_back(last);
    std::sort(all.begin(), all.end());
    CHECK(all.front() == 1);
    CHECK(all.back() == last);
    CHECK(last <= 31);
    CHECK(store->claim_recent(box.id) == 31);  // everything is claimed now
    CHECK(store->claim_recent(box.id) == 31);
}

TEST_CASE("read_range slices inline and file blobs", "[store][range]") {
    TempDir tmp;
    auto store = Store::open(tmp.data(), small_inline());
    const std::string small = message_text(500, 's');
    std::string big;
    for (int i = 0; big.size() < 200000; ++i) big += "line " + std::to_string(i) + "\r\n";
    store->deliver(local_delivery({alice}, small));
    store->deliver(local_delivery({alice}, big));
    auto msgs = store->list_messages(store->find_mailbox(alice, "INBOX")->id);
    REQUIRE(msgs.size() == 2);
    for (const auto& [id, text] : {std::pair{msgs[0].id, small}, std::pair{msgs[1].id, big}}) {
        CHECK(store->read_range(id, 0, 10) == text.substr(0, 10));
        CHECK(store->read_range(id, 17, 100) == text.substr(17, 100));
        CHECK(store->read_range(id, text.size() - 5, 100) == text.substr(text.size() - 5));
        CHECK(store->read_range(id, text.size(), 10).empty());
        CHECK(store->read_range(id, text.size() + 1000, 10).empty());
        CHECK(store->read_range(id, 3, 0).empty());
        CHECK(store->read_range(id, UINT64_MAX, UINT64_MAX).empty());
        CHECK(store->read_range(id, 0, UINT64_MAX) == text);
        // Reading in pieces yields the whole message.
        std::string pieces;
        for (uint64_t off = 0; off < text.size(); off += 4096) pieces += store->read_range(id, off, 4096);
        CHECK(pieces == text);
    }
    CHECK_THROWS_AS(store->read_range(123456, 0, 1), StoreError);
}

TEST_CASE("message_structure is parsed at delivery and append", "[store][structure]") {
    TempDir tmp;
    auto store = Store::open(tmp.data());
    const std::string mixed =
        "From: a@example.org\r\nSubject: parts\r\nMIME-Version: 1.0\r\n"
        "Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
        "--b1\r\nContent-Type: text/plain\r\n\r\nhello\r\n"
        "--b1\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\nAAAA\r\n--b1--\r\n";
    store->deliver(local_delivery({alice}, mixed));
    store->append(append_to("Sent", "Subject: plain\r\n\r\ntext\r\n"));
    CHECK(query_int(tmp.data(), "SELECT count(*) FROM blobs WHERE structure IS NULL") == 0);

    auto inbox = store->list_messages(store->find_mailbox(alice, "INBOX")->id);
    auto parsed = pochta::mime::deserialize(store->message_structure(inbox[0].id));
    REQUIRE(parsed);
    CHECK(parsed->root.type == "multipart");
    CHECK(parsed->root.subtype == "mixed");
    REQUIRE(parsed->root.children.size() == 2);
    CHECK(parsed->root.children[1].type == "image");
    REQUIRE(parsed->root.envelope);
    CHECK(parsed->root.envelope->subject == std::optional<std::string>("parts"));

    auto sent = store->list_messages(store->find_mailbox(alice, "Sent")->id);
    auto plain = pochta::mime::deserialize(store->message_structure(sent[0].id));
    REQUIRE(plain);
    CHECK(plain->root.type == "text");
    CHECK_THROWS_AS(store->message_structure(8888888), StoreError);
}

TEST_CASE("list_messages of 5,000 messages is one indexed query", "[store][perf]") {
    TempDir tmp;
    auto store = Store::open(tmp.data());
    constexpr int n = 5000;
    std::vector<std::promise<std::string>> done(n);
    for (int i = 0; i < n; ++i)
        store->submit(local_delivery({alice}, message_text(120, 'p', std::to_string(i))),
                      [&done, i](Error error) { done[i].set_value(std::move(error.message)); });
    for (auto& d : done) REQUIRE(d.get_future().get().empty());
    const auto box = *store->find_mailbox(alice, "INBOX");
    FlagUpdate u;
    for (uint32_t uid = 1; uid <= n; uid += 2) u.uids.push_back(uid);
    u.flags = flag_seen;
    u.keywords = {"$Seen1", "work"};
    CHECK(store->update_flags(box.id, u).changed.size() == n / 2);

    const auto start = std::chrono::steady_clock::now();
    auto msgs = store->list_messages(box.id);
    const auto took = std::chrono::steady_clock::now() - start;
    REQUIRE(msgs.size() == n);
    CHECK(msgs[0].keywords.size() == 2);
    CHECK(msgs[1].keywords.empty());
    CHECK(took < std::chrono::seconds(2));  // ~10 ms normally; generous for sanitizers
    // The plan: a search on the (mailbox_id, uid) index, no scan, no sort.
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open_v2((tmp.data() / "index.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
    sqlite3_stmt* stmt = nullptr;
    REQUIRE(sqlite3_prepare_v2(db,
                               "EXPLAIN QUERY PLAN SELECT id, uid, modseq, flags, keywords, internal_date, size, "
                               "crlf_size, pop3_uidl FROM messages WHERE mailbox_id = 1 ORDER BY uid",
                               -1, &stmt, nullptr) == SQLITE_OK);
    std::string plan;
    while (sqlite3_step(stmt) == SQLITE_ROW) plan += reinterpret_cast<const char*>(sqlite3_column_text(stmt, 3));
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    CHECK(plan.find("SEARCH messages") != std::string::npos);
    CHECK(plan.find("TEMP B-TREE") == std::string::npos);
}

TEST_CASE("expunge tombstones are pruned beyond expunge_history, raising the horizon", "[store][condstore]") {
    TempDir tmp;
    Options options;
    options.expunge_history = 20;  // checked every 3 tombstones
    auto store = Store::open(tmp.data(), options);
    auto box = filled(*store, "P", 60);
    const uint64_t before = store->find_mailbox(alice, "P")->highestmodseq;
    for (uint32_t uid = 1; uid <= 50; ++uid) store->expunge(box.id, {uid}, false);
    const MailboxInfo now = *store->find_mailbox(alice, "P");
    const int64_t kept = query_int(tmp.data(), "SELECT count(*) FROM expunged");
    CHECK(kept >= 18);
    CHECK(kept <= 23);
    CHECK(now.expunge_horizon > before);
    CHECK(now.expunge_horizon < now.highestmodseq);
    // Above the horizon the answer is exact: one expunge per MODSEQ here.
    const auto exact = store->expunged_since(box.id, now.expunge_horizon);
    CHECK(exact.size() == now.highestmodseq - now.expunge_horizon);
    CHECK(exact.back() == 50);
    CHECK(store->mailbox_state(box.id)->expunge_horizon == now.expunge_horizon);
}

TEST_CASE("a message's save date is when it came into its mailbox", "[store][savedate]") {
    TempDir tmp;
    auto store = Store::open(tmp.data());
    auto box = store->create_mailbox(alice, "S");
    auto dest = store->create_mailbox(alice, "T");
    AppendRequest old = append_to("S", "Subject: old\r\n\r\nx\r\n");
    old.internal_date = 1000000000;  // 2001
    store->append(old);
    const auto messages = store->list_messages(box.id);
    REQUIRE(messages.size() == 1);
    CHECK(messages[0].internal_date == 1000000000);
    CHECK(messages[0].save_date > 1700000000);
    store->copy_messages(box.id, {1}, dest.id, true);
    CHECK(store->list_messages(dest.id).at(0).save_date >= messages[0].save_date);
}
