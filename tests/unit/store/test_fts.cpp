// The full-text index in the store (README.md, "Full-text search"): the
// background indexer catches up with deliveries, looks substrings up
// exactly by trigram phrase, skips messages over the size cap, removes the
// rows of expunged messages and of deleted mailboxes, and a rebuild starts
// over. The text made of a message here is its raw bytes split at the blank
// line: what the text means is the IMAP side's concern.
#include <catch2/catch.hpp>

#include <chrono>
#include <functional>
#include <thread>

#include "store/fts_db.hpp"
#include "store/store.hpp"
#include "tests/unit/store/store_test_util.hpp"

using namespace pochta::store;
using namespace pochta::store::testing;

namespace {

const std::string alice = "alice@example.org";
const std::string bob = "bob@example.org";

IndexedText raw_halves(std::string_view raw, const std::string&) {
    size_t split = raw.find("\r\n\r\n");
    IndexedText text;
    text.header = std::string(raw.substr(0, split));
    text.body = split == std::string_view::npos ? "" : std::string(raw.substr(split + 4));
    return text;
}

Options indexed(uint64_t cap = 1 << 20) {
    Options o;
    o.text_index.make = raw_halves;
    o.text_index.max_message_size = cap;
    return o;
}

AppendRequest append(const std::string& user, std::string data) {
    AppendRequest r;
    r.user = user;
    r.mailbox = "INBOX";
    r.data = std::move(data);
    return r;
}

// Ids of the user's INBOX messages, in UID order.
std::vector<int64_t> inbox_ids(Store& store, const std::string& user) {
    std::vector<int64_t> ids;
    for (const MessageInfo& m : store.list_messages(store.find_mailbox(user, "INBOX")->id)) ids.push_back(m.id);
    return ids;
}

TextKey key(TextScope scope, std::string folded) { return TextKey{scope, std::move(folded)}; }

// True once `done` is (polled for up to 10 s).
bool eventually(const std::function<bool()>& done) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!done()) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return true;
}

// The answer once the index holds `count` indexed messages of the user.
TextIndexResult settle(Store& store, const std::string& user, size_t count, const std::vector<TextKey>& keys) {
    TextIndexResult r;
    eventually([&] {
        r = store.search_text_index(user, 0, INT64_MAX, keys);
        return r.indexed.size() == count;
    });
    return r;
}

}  // namespace

TEST_CASE("fts: the indexer catches up and substrings are found exactly") {
    TempDir dir;
    auto store = Store::open(dir.data(), indexed());
    store->ensure_user(alice);
    store->ensure_user(bob);
    store->append(append(alice, "Subject: one\r\n\r\nthe quick brown fox"));
    store->append(append(alice, "Subject: two\r\n\r\nlazy \"dog\" jumps"));
    store->append(append(bob, "Subject: one\r\n\r\nquick"));
    const int64_t a1 = inbox_ids(*store, alice)[0], a2 = inbox_ids(*store, alice)[1];
    const int64_t b1 = inbox_ids(*store, bob)[0];

    TextIndexResult r = settle(*store, alice, 2,
                               {key(TextScope::body, "quick"), key(TextScope::body, "one"),
                                key(TextScope::text, "one"), key(TextScope::body, "\"dog\""),
                                key(TextScope::body, "k b"), key(TextScope::body, "quack")});
    CHECK(r.indexed == std::vector<int64_t>{a1, a2});
    CHECK(r.matches[0] == std::vector<int64_t>{a1});  // bob's message is in bob's index
    CHECK(r.matches[1].empty());                        // "one" is in the header only
    CHECK(r.matches[2] == std::vector<int64_t>{a1});
    CHECK(r.matches[3] == std::vector<int64_t>{a2});    // quotes are text
    CHECK(r.matches[4] == std::vector<int64_t>{a1});    // across a space
    CHECK(r.matches[5].empty());
    CHECK(settle(*store, bob, 1, {key(TextScope::body, "quick")}).matches[0] == std::vector<int64_t>{b1});
    // Asking about other ids: nothing of those is indexed.
    CHECK(store->search_text_index(alice, a2 + 100, a2 + 200, {}).indexed.empty());
    CHECK(store->search_text_index("nobody@example.org", 0, INT64_MAX, {}).indexed.empty());
}

TEST_CASE("fts: messages over the cap are recorded but not indexed") {
    TempDir dir;
    auto store = Store::open(dir.data(), indexed(100));
    store->ensure_user(alice);
    store->append(append(alice, "Subject: s\r\n\r\nneedle"));
    store->append(append(alice, "Subject: b\r\n\r\nneedle" + std::string(200, 'x')));
    const int64_t small = inbox_ids(*store, alice)[0], big = inbox_ids(*store, alice)[1];
    const int64_t user_id = query_int(dir.data(), "SELECT id FROM users");
    CHECK(eventually([&] {
        auto fts = FtsDb::open_existing(dir.data(), user_id);
        return fts && fts->has(big);
    }));
    TextIndexResult r = store->search_text_index(alice, 0, INT64_MAX, {key(TextScope::body, "needle")});
    CHECK(r.indexed == std::vector<int64_t>{small});
    CHECK(r.matches[0] == std::vector<int64_t>{small});
}

TEST_CASE("fts: expunged messages and deleted mailboxes leave the index") {
    TempDir dir;
    auto store = Store::open(dir.data(), indexed());
    store->ensure_user(alice);
    store->create_mailbox(alice, "Work", SpecialUse::none);
    store->append(append(alice, "Subject: a\r\n\r\nkeep this"));
    AppendResult gone = store->append(append(alice, "Subject: b\r\n\r\ndrop this"));
    AppendRequest work = append(alice, "Subject: c\r\n\r\nwork this");
    work.mailbox = "Work";
    store->append(work);
    settle(*store, alice, 3, {});

    auto inbox = store->find_mailbox(alice, "INBOX");
    store->expunge(inbox->id, {gone.uid}, false);
    store->delete_mailbox(alice, "Work");
    TextIndexResult r = settle(*store, alice, 1, {key(TextScope::body, "this")});
    CHECK(r.indexed.size() == 1);
    CHECK(r.matches[0].size() == 1);
    // The log is emptied after the rows went.
    CHECK(eventually([&] { return query_int(dir.data(), "SELECT count(*) FROM fts_gone") == 0; }));
}

TEST_CASE("fts: rebuild indexes the user's mail anew, beside the indexer") {
    TempDir dir;
    {
        auto plain = Store::open(dir.data());  // no indexer: as a CLI command opens it
        plain->ensure_user(alice);
        plain->append(append(alice, "Subject: a\r\n\r\nfirst words"));
        plain->append(append(alice, "Subject: b\r\n\r\nsecond words"));
        CHECK(plain->search_text_index(alice, 0, INT64_MAX, {}).indexed.empty());
        CHECK(plain->rebuild_text_index(alice, indexed().text_index) == 2);
        CHECK(plain->search_text_index(alice, 0, INT64_MAX, {key(TextScope::body, "words")}).matches[0].size() == 2);
        CHECK(plain->rebuild_text_index(alice, indexed().text_index) == 2);
        CHECK_THROWS_AS(plain->rebuild_text_index("nobody@example.org", indexed().text_index), StoreError);
    }
    auto store = Store::open(dir.data(), indexed());  // the indexer finds them indexed already
    CHECK(settle(*store, alice, 2, {}).indexed.size() == 2);
}

TEST_CASE("fts: match expressions quote the substring as one phrase") {
    CHECK(fts_match_expression(key(TextScope::body, "a\"b")) == "{body} : \"a\"\"b\"");
    CHECK(fts_match_expression(key(TextScope::text, "x OR y")) == "{header body} : \"x OR y\"");
    CHECK(fts_match_expression(key(TextScope::fields, "*:^")) == "{header fields} : \"*:^\"");
}
