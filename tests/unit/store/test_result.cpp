// The store's one result type: each failure carries a kind the protocols
// answer from (README.md, "Store errors").
#include <catch2/catch.hpp>

#include <cerrno>
#include <fstream>

#include "store/sqlite_db.hpp"
#include "store/store.hpp"
#include "tests/unit/store/store_test_util.hpp"

using namespace pochta::store;
using namespace pochta::store::testing;
namespace fs = std::filesystem;

TEST_CASE("an Error is empty on success and formats as its message", "[store][result]") {
    Error ok;
    CHECK(ok.empty());
    CHECK_FALSE(ok);
    Error full{ErrorKind::disk_full, "no space"};
    CHECK(full);
    CHECK(fmt::format("failed: {}", full) == "failed: no space");
    CHECK(to_string(ErrorKind::has_children) == "has_children");
}

TEST_CASE("exceptions keep their kind across the boundary", "[store][result]") {
    CHECK(error_of(nullptr).empty());
    CHECK(error_of(std::make_exception_ptr(MailboxNotFound("x"))).kind == ErrorKind::nonexistent);
    CHECK(error_of(std::make_exception_ptr(MailboxExists("x"))).kind == ErrorKind::already_exists);
    CHECK(error_of(std::make_exception_ptr(MailboxRefused("x"))).kind == ErrorKind::refused);
    CHECK(error_of(std::make_exception_ptr(StoreError("x"))).kind == ErrorKind::internal);
    const Error other = error_of(std::make_exception_ptr(std::runtime_error("boom")));
    CHECK(other.kind == ErrorKind::internal);
    CHECK(other.message == "boom");
    CHECK(kind_of_errno(ENOSPC) == ErrorKind::disk_full);
    CHECK(kind_of_errno(EDQUOT) == ErrorKind::disk_full);
    CHECK(kind_of_errno(EACCES) == ErrorKind::internal);
}

TEST_CASE("the store's refusals carry their kinds", "[store][result]") {
    TempDir tmp;
    auto store = Store::open(tmp.data());
    const std::string alice = "alice@example.org";
    store->ensure_user(alice);
    store->create_mailbox(alice, "a");
    store->create_mailbox(alice, "a/b");
    auto kind_of = [](auto&& fn) {
        try {
            fn();
        } catch (const StoreError& e) {
            return e.kind();
        }
        return ErrorKind::none;
    };
    // The first DELETE leaves "a" as a \Noselect level above "a/b"; deleting
    // that level while it has inferiors is the refusal (RFC 3501 6.3.4).
    CHECK(kind_of([&] { store->delete_mailbox(alice, "a"); }) == ErrorKind::none);
    CHECK(kind_of([&] { store->delete_mailbox(alice, "a"); }) == ErrorKind::has_children);
    CHECK(kind_of([&] { store->delete_mailbox(alice, "INBOX"); }) == ErrorKind::refused);
    CHECK(kind_of([&] { store->create_mailbox(alice, "a//c"); }) == ErrorKind::invalid);
    AppendRequest many;
    many.user = alice;
    many.mailbox = "INBOX";
    many.data = "Subject: x\r\n\r\nx\r\n";
    for (int i = 0; i < 1000; ++i) many.keywords.push_back("k" + std::to_string(i));
    CHECK(kind_of([&] { store->append(many); }) == ErrorKind::limit);
    CHECK(kind_of([&] { store->read_message(987654); }) == ErrorKind::nonexistent);
}

TEST_CASE("a full database is disk_full, not a generic failure", "[store][result]") {
    TempDir tmp;
    fs::create_directories(tmp.data());
    Db db(tmp.data() / "full.db", Db::Role::writer);
    db.exec("CREATE TABLE t(x BLOB)");
    db.exec("PRAGMA max_page_count=8");  // SQLite's own SQLITE_FULL, as on a full disk
    ErrorKind kind = ErrorKind::none;
    try {
        for (int i = 0; i < 100; ++i) db.exec("INSERT INTO t VALUES (zeroblob(4096))");
    } catch (const StoreError& e) {
        kind = e.kind();
    }
    CHECK(kind == ErrorKind::disk_full);
}

TEST_CASE("a missing or truncated blob is unavailable", "[store][result]") {
    TempDir tmp;
    auto store = Store::open(tmp.data());
    const std::string alice = "alice@example.org";
    store->deliver(local_delivery({alice}, message_text(200'000, 'b')));
    const auto box = *store->find_mailbox(alice, "INBOX");
    const auto id = store->list_messages(box.id).at(0).id;
    fs::path blob;
    for (const auto& e : fs::recursive_directory_iterator(tmp.data() / "blobs"))
        if (e.is_regular_file()) blob = e.path();
    REQUIRE(!blob.empty());
    fs::resize_file(blob, 100);
    try {
        store->read_range(id, 0, 10);
        FAIL("a truncated blob was read");
    } catch (const StoreError& e) {
        CHECK(e.kind() == ErrorKind::unavailable);
        CHECK_THAT(e.what(), Catch::Contains(blob.filename().string()));
    }
    fs::remove(blob);
    try {
        store->read_message(id);
        FAIL("a missing blob was read");
    } catch (const StoreError& e) {
        CHECK(e.kind() == ErrorKind::unavailable);
    }
}
