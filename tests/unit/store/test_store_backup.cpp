// `pochta backup` / `restore` (store/backup.cpp): a backup restores to the
// same mail, a second backup copies only new blob files and drops those no
// longer named, damage is found before anything is restored, and a store
// in use is never overwritten.
#include <catch2/catch.hpp>

#include <fstream>

#include "store/backup.hpp"
#include "store/dir_lock.hpp"
#include "store/store.hpp"
#include "tests/unit/store/store_test_util.hpp"

using namespace pochta::store;
using namespace pochta::store::testing;
namespace fs = std::filesystem;

namespace {

const std::string alice = "alice@example.org";

// Messages over 1 KiB get blob files.
const Options small_inline = [] { Options o; o.inline_blob_limit = 1024; return o; }();

std::vector<std::string> inbox_contents(Store& store) {
    std::vector<std::string> out;
    const auto box = store.find_mailbox(alice, "INBOX");
    for (const auto& m : store.list_messages(box->id)) out.push_back(store.read_message(m.id));
    return out;
}

}  // namespace

TEST_CASE("a backup restores to the same mail; a second one copies only new blobs") {
    TempDir dir;
    const fs::path backup_dir = dir.path() / "backup";
    auto store = Store::open(dir.data(), small_inline);
    store->deliver(local_delivery({alice}, message_text(100, 'a')));
    store->deliver(local_delivery({alice}, message_text(5000, 'b')));

    const auto first = backup_store(dir.data(), backup_dir);
    CHECK(first.blobs_copied == 1);
    CHECK(first.blobs_kept == 0);

    store->deliver(local_delivery({alice}, message_text(6000, 'c')));
    const auto box = store->find_mailbox(alice, "INBOX");
    const auto b_message = store->list_messages(box->id)[1];
    store->update_flags(box->id, {{b_message.uid}, FlagOp::add, flag_deleted, {}, std::nullopt});
    store->expunge(box->id, {b_message.uid}, true);
    const auto second = backup_store(dir.data(), backup_dir);
    CHECK(second.blobs_copied == 1);
    CHECK(second.blobs_kept == 0);
    CHECK(second.blobs_pruned == 1);  // the expunged message's blob
    CHECK(check_backup(backup_dir).empty());

    const auto expected = inbox_contents(*store);
    const fs::path restored = dir.path() / "restored";
    const auto report = restore_store(backup_dir, restored);
    CHECK(report.blobs == 1);
    auto copy = Store::open(restored, small_inline);
    CHECK(inbox_contents(*copy) == expected);
}

TEST_CASE("a damaged backup is refused before anything is restored") {
    TempDir dir;
    const fs::path backup_dir = dir.path() / "backup";
    {
        auto store = Store::open(dir.data(), small_inline);
        store->deliver(local_delivery({alice}, message_text(5000, 'b')));
    }
    backup_store(dir.data(), backup_dir);
    for (const auto& entry : fs::recursive_directory_iterator(backup_dir / "blobs"))
        if (entry.is_regular_file()) std::ofstream(entry.path(), std::ios::binary | std::ios::in) << "X";
    const auto problems = check_backup(backup_dir);
    REQUIRE(problems.size() == 1);
    CHECK(problems[0].find("damaged") != std::string::npos);
    CHECK_FALSE(check_backup(dir.path() / "nothing").empty());
}

TEST_CASE("restore refuses a data_dir in use or holding a store") {
    TempDir dir;
    const fs::path backup_dir = dir.path() / "backup";
    auto store = Store::open(dir.data());
    store->deliver(local_delivery({alice}, message_text(100)));
    backup_store(dir.data(), backup_dir);
    CHECK_THROWS_AS(restore_store(backup_dir, dir.data()), StoreError);  // open right here
    store.reset();
    CHECK_THROWS_AS(restore_store(backup_dir, dir.data()), StoreError);  // has index.db
}
