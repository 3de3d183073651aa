// Upgrading a version-1 index (as the first release wrote it) to the
// current schema: crlf sizes computed, subscriptions carried over, the
// structure left for the first request, ids never reused afterwards.
#include <catch2/catch.hpp>

#include "common/mime/structure.hpp"
#include "store/blob_files.hpp"
#include "store/schema.hpp"
#include "store/sqlite_db.hpp"
#include "store/store.hpp"
#include "tests/unit/store/store_test_util.hpp"

using namespace pochta::store;
using namespace pochta::store::testing;
namespace fs = std::filesystem;

namespace {

const std::string small_lf = "Subject: old\n\nbare\nlines\r\nmixed\n";
std::string big_lf() {
    std::string s = "Subject: old big\nContent-Type: text/plain\n\n";
    while (s.size() < 3'000'000) s += "a line that ends bare\n";  // crosses the 1 MiB scan pieces
    return s;
}

void insert_blob(Db& db, int64_t id, const std::string& sha, const std::string& data, bool inline_data) {
    Stmt q(db.handle(), "INSERT INTO blobs(id, sha256, size, inline_data) VALUES (?1, ?2, ?3, ?4)");
    q.bind(1, id).bind(2, sha).bind(3, static_cast<int64_t>(data.size()));
    if (inline_data)
        q.bind_blob(4, data);
    else
        q.bind_null(4);
    q.run();
}

void insert_message(Db& db, int64_t id, int64_t mailbox, int64_t uid, int64_t blob, size_t size,
                    const std::string& uidl) {
    Stmt q(db.handle(),
           "INSERT INTO messages(id, mailbox_id, uid, modseq, internal_date, size, blob_id, pop3_uidl) "
           "VALUES (?1, ?2, ?3, ?3, 1600000000, ?4, ?5, ?6)");
    q.bind(1, id).bind(2, mailbox).bind(3, uid).bind(4, static_cast<int64_t>(size)).bind(5, blob).bind(6, uidl);
    q.run();
}

// A data_dir as version 1 left it: alice with INBOX (subscribed) holding a
// small inline message and a large file one, and an unsubscribed "Old".
void make_v1_store(const fs::path& data) {
    fs::create_directories(data / "blobs");
    fs::create_directories(data / "tmp");
    BlobFiles files(data);
    Db db(data / "index.db", Db::Role::writer);
    migrate(db, files, 1);
    REQUIRE(db.query_int("PRAGMA user_version") == 1);
    const std::string big = big_lf();
    files.write(sha256_hex(big), big);
    db.exec("BEGIN");
    db.exec("INSERT INTO users(id, address, created) VALUES (1, 'alice@example.org', 1600000000)");
    db.exec("INSERT INTO mailboxes(id, user_id, name, uidvalidity, uidnext, highestmodseq, subscribed) "
            "VALUES (1, 1, 'INBOX', 1600000001, 3, 2, 1), (2, 1, 'Old', 1600000002, 1, 0, 0)");
    db.exec("UPDATE meta SET value = 1600000002 WHERE key = 'uidvalidity_last'");
    db.exec("UPDATE meta SET value = 2 WHERE key = 'message_seq'");
    insert_blob(db, 1, sha256_hex(small_lf), small_lf, true);
    insert_blob(db, 2, sha256_hex(big), big, false);
    insert_message(db, 1, 1, 1, 1, small_lf.size(), "tag.1");
    insert_message(db, 2, 1, 2, 2, big.size(), "tag.2");
    db.exec("COMMIT");
}

}  // namespace

TEST_CASE("a version-1 index is upgraded in place", "[store][migration]") {
    TempDir tmp;
    make_v1_store(tmp.data());
    const std::string big = big_lf();
    {
        auto store = Store::open(tmp.data());
        CHECK(query_int(tmp.data(), "PRAGMA user_version") == schema_version());
        const auto inbox = *store->find_mailbox("alice@example.org", "INBOX");
        CHECK(inbox.subscribed);
        CHECK(inbox.uidnext == 3);
        CHECK_FALSE(store->find_mailbox("alice@example.org", "Old")->subscribed);
        CHECK(store->subscriptions("alice@example.org") == std::vector<std::string>{"INBOX"});

        auto msgs = store->list_messages(inbox.id);
        REQUIRE(msgs.size() == 2);
        CHECK(msgs[0].crlf_size == small_lf.size() + 4);
        CHECK(msgs[1].crlf_size == big.size() + static_cast<uint64_t>(std::count(big.begin(), big.end(), '\n')));
        CHECK(msgs[0].pop3_uidl == "tag.1");

        // The structure was left for the first request, which parses and caches it.
        CHECK(query_int(tmp.data(), "SELECT count(*) FROM blobs WHERE structure IS NULL") == 2);
        auto s = pochta::mime::deserialize(store->message_structure(msgs[1].id));
        REQUIRE(s);
        CHECK(s->root.type == "text");
        CHECK(s->root.envelope->subject == std::optional<std::string>("old big"));
        CHECK(store->read_range(msgs[1].id, 0, 16) == big.substr(0, 16));
        CHECK(pochta::mime::deserialize(store->message_structure(msgs[0].id)));

        // Every message was recent before; the first claim gets them all.
        CHECK(store->claim_recent(inbox.id) == 1);

        // Ids continue above the old ones and are not reused after an expunge.
        store->expunge(inbox.id, {2}, false);
        store->deliver(local_delivery({"alice@example.org"}, "Subject: new\r\n\r\nnew\r\n"));
        msgs = store->list_messages(inbox.id);
        REQUIRE(msgs.size() == 2);
        CHECK(msgs[1].uid == 3);
        CHECK(msgs[1].id > 2);
        CHECK(msgs[1].pop3_uidl.ends_with(".3"));
        auto box = store->create_mailbox("alice@example.org", "New");
        CHECK(box.id > 2);
        CHECK(box.uidvalidity > 1600000002u);
    }
    // The structure cache write went through before the store closed.
    CHECK(query_int(tmp.data(), "SELECT count(*) FROM blobs WHERE structure IS NULL") == 0);
    // Opening again migrates nothing more.
    auto again = Store::open(tmp.data());
    CHECK(again->list_messages(1).size() == 2);
}

TEST_CASE("migrate refuses unknown target versions", "[store][migration]") {
    TempDir tmp;
    fs::create_directories(tmp.data());
    BlobFiles files(tmp.data());
    Db db(tmp.data() / "index.db", Db::Role::writer);
    CHECK_THROWS_AS(migrate(db, files, schema_version() + 1), StoreError);
    CHECK_THROWS_AS(migrate(db, files, -1), StoreError);
    migrate(db, files, 1);
    migrate(db, files, 1);  // already there
    CHECK(db.query_int("PRAGMA user_version") == 1);
    migrate(db, files);
    CHECK(db.query_int("PRAGMA user_version") == schema_version());
}
