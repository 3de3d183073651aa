// List archives in the store (README.md, "Mailing lists": The archive):
// which IMAP names reach which mailbox, who may read an archive, and that
// an archived post lands in it and goes with its list.
#include <catch2/catch.hpp>

#include "store/list_archive.hpp"
#include "store/store.hpp"
#include "tests/unit/store/store_test_util.hpp"

using namespace pochta::store;
using namespace pochta::store::testing;

namespace {

const std::string staff = "staff@example.org";
const std::string ann = "ann@example.org";

}  // namespace

TEST_CASE("the Lists namespace is recognised by its root", "[store][lists]") {
    CHECK(in_list_namespace("Lists"));
    CHECK(in_list_namespace("Lists/staff@example.org"));
    CHECK_FALSE(in_list_namespace("Lists/"));
    CHECK_FALSE(in_list_namespace("Listsx/a"));
    CHECK_FALSE(in_list_namespace("lists/staff@example.org"));  // names are case-sensitive but INBOX
    CHECK_FALSE(in_list_namespace("INBOX"));
    CHECK(list_archive_name(staff) == "Lists/staff@example.org");
    CHECK(list_archive_owner(staff).find(':') != std::string::npos);
}

TEST_CASE("only a list's people reach its archive", "[store][lists]") {
    TempDir tmp;
    auto store = Store::open(tmp.data());
    store->create_list(staff, "cli");
    store->set_list_person(staff, {ann, list_member, ListDelivery::off}, "cli");
    store->set_list_person(staff, {"mod@example.org", list_moderator, ListDelivery::on}, "cli");

    auto own = place_of(*store, "bob@example.org", "Projects");
    REQUIRE(own);
    CHECK(own->owner == "bob@example.org");
    CHECK_FALSE(own->archive);
    CHECK_FALSE(place_of(*store, "bob@example.org", "Lists/" + staff));
    CHECK_FALSE(place_of(*store, ann, "Lists"));
    CHECK_FALSE(place_of(*store, ann, "Lists/other@example.org"));
    for (const std::string& user : {ann, std::string("Mod@Example.org")}) {
        auto archive = place_of(*store, user, "Lists/" + staff);
        REQUIRE(archive);
        CHECK(archive->archive);
        CHECK(archive->owner == list_archive_owner(staff));
        // A list with no post yet has an empty archive that can be opened.
        CHECK(store->mailbox_snapshot(archive->owner, archive->name)->uids.empty());
    }

    store->ensure_user(ann);
    store->create_mailbox(ann, "Lists/mine");
    auto boxes = visible_mailboxes(*store, ann);
    std::vector<std::string> names;
    for (const auto& box : boxes) names.push_back(box.name);
    CHECK(names == std::vector<std::string>{"INBOX", "Archive", "Drafts", "Junk", "Sent", "Trash", "Lists/" + staff});
    CHECK(readable_archives(*store, "bob@example.org").empty());

    store->set_list_person(staff, {ann, 0, ListDelivery::on}, "cli");
    CHECK_FALSE(place_of(*store, ann, "Lists/" + staff));
}

TEST_CASE("an archived post is in the archive until the list goes", "[store][lists]") {
    TempDir tmp;
    auto store = Store::open(tmp.data());
    store->create_list(staff, "cli");
    store->set_list_person(staff, {ann, list_member, ListDelivery::on}, "cli");
    store->deliver(archive_delivery(staff, "staff-owner@example.org", "Subject: hi\r\n\r\nbody\r\n"));
    auto archives = readable_archives(*store, ann);
    REQUIRE(archives.size() == 1);
    CHECK(archives[0].name == "Lists/" + staff);
    auto messages = store->list_messages(archives[0].id);
    REQUIRE(messages.size() == 1);
    CHECK(store->read_message(messages[0].id) == "Subject: hi\r\n\r\nbody\r\n");

    // A reader may copy a post into their own mailbox, never move it out.
    store->ensure_user(ann);
    const int64_t inbox = store->find_mailbox(ann, "INBOX")->id;
    CHECK(kind_of([&] { store->copy_messages(archives[0].id, {1}, inbox, true); }) == ErrorKind::refused);
    CHECK(store->copy_messages(archives[0].id, {1}, inbox, false).dest_uids == std::vector<uint32_t>{1});
    CHECK(store->list_messages(archives[0].id).size() == 1);

    store->delete_list(staff, "cli");
    store->create_list(staff, "cli");
    store->set_list_person(staff, {ann, list_member, ListDelivery::on}, "cli");
    archives = readable_archives(*store, ann);
    REQUIRE(archives.size() == 1);
    CHECK(store->list_messages(archives[0].id).empty());
}
