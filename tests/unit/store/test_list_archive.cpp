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

TEST_CASE("archive names and owners", "[store][lists]") {
    CHECK(list_archive_name(staff) == "Lists/staff@example.org");
    CHECK(list_archive_owner(staff).find(':') != std::string::npos);  // no login has it
    CHECK(is_list_archive_owner(list_archive_owner(staff)));
    CHECK_FALSE(is_list_archive_owner(staff));
}

TEST_CASE("only a list's people reach its archive", "[store][lists]") {
    TempDir tmp;
    auto store = Store::open(tmp.data());
    store->create_list(staff, "cli");
    store->set_list_person(staff, {ann, list_member, ListDelivery::off}, "cli");
    store->set_list_person(staff, {"mod@example.org", list_moderator, ListDelivery::on}, "cli");

    auto own = place_of(*store, "bob@example.org", "Projects");
    CHECK(own.owner == "bob@example.org");
    CHECK_FALSE(own.archive);
    // Outside the list, or for other names under Lists/, a name is the user's own.
    for (const std::string& name : {"Lists/" + staff, std::string("Lists"), std::string("Lists/mine"),
                                    std::string("Lists/other@example.org")}) {
        CHECK_FALSE(place_of(*store, "bob@example.org", name).archive);
        CHECK(place_of(*store, ann, name).archive == (name == "Lists/" + staff));
        CHECK_NOTHROW(refuse_archive_write(*store, "bob@example.org", name));
    }
    CHECK(kind_of([&] { refuse_archive_write(*store, ann, "Lists/" + staff); }) == ErrorKind::refused);
    CHECK(kind_of([&] { refuse_archive_write(*store, ann, "Lists/" + staff + "/sub"); }) == ErrorKind::refused);
    CHECK_NOTHROW(refuse_archive_write(*store, ann, "Lists/mine/" + staff));
    for (const std::string& user : {ann, std::string("Mod@Example.org")}) {
        auto archive = place_of(*store, user, "Lists/" + staff);
        CHECK(archive.archive);
        CHECK(archive.owner == list_archive_owner(staff));
        // A list with no post yet has an empty archive that can be opened.
        CHECK(store->mailbox_snapshot(archive.owner, archive.name)->uids.empty());
    }

    store->ensure_user(ann);
    store->create_mailbox(ann, "Lists/mine");
    store->create_mailbox(ann, "Lists/" + staff);  // made before ann joined: hidden by the archive
    auto names_of = [&](const std::string& user) {
        std::vector<std::string> names;
        for (const auto& box : visible_mailboxes(*store, user)) names.push_back(box.name);
        return names;
    };
    CHECK(names_of(ann) ==
          std::vector<std::string>{"INBOX", "Archive", "Drafts", "Junk", "Lists/mine", "Sent", "Trash", "Lists/" + staff});
    CHECK(visible_mailboxes(*store, ann).back().id != store->find_mailbox(ann, "Lists/" + staff)->id);

    store->set_list_person(staff, {ann, 0, ListDelivery::on}, "cli");
    CHECK_FALSE(place_of(*store, ann, "Lists/" + staff).archive);
    CHECK(names_of(ann) ==
          std::vector<std::string>{"INBOX", "Archive", "Drafts", "Junk", "Lists/mine", "Lists/" + staff, "Sent", "Trash"});
}

TEST_CASE("an archived post is in the archive until the list goes", "[store][lists]") {
    TempDir tmp;
    auto store = Store::open(tmp.data());
    store->create_list(staff, "cli");
    store->set_list_person(staff, {ann, list_member, ListDelivery::on}, "cli");
    store->deliver(archive_delivery(staff, "staff-owner@example.org", "Subject: hi\r\n\r\nbody\r\n"));
    auto archive = [&] { return visible_mailboxes(*store, ann).back(); };
    CHECK(archive().name == "Lists/" + staff);
    const int64_t archive_id = archive().id;
    // Nothing in an archive is \Recent once it is settled.
    CHECK(store->claim_recent(archive_id, 0) == 1);
    settle_archive(*store, staff);
    CHECK(store->claim_recent(archive_id, 0) == 2);
    auto messages = store->list_messages(archive_id);
    REQUIRE(messages.size() == 1);
    CHECK(store->read_message(messages[0].id) == "Subject: hi\r\n\r\nbody\r\n");

    // A reader may copy a post into their own mailbox, never move it out.
    store->ensure_user(ann);
    const int64_t inbox = store->find_mailbox(ann, "INBOX")->id;
    CHECK(kind_of([&] { store->copy_messages(archive_id, {1}, inbox, true); }) == ErrorKind::refused);
    CHECK(store->copy_messages(archive_id, {1}, inbox, false).dest_uids == std::vector<uint32_t>{1});
    CHECK(store->list_messages(archive_id).size() == 1);

    store->delete_list(staff, "cli");
    store->create_list(staff, "cli");
    store->set_list_person(staff, {ann, list_member, ListDelivery::on}, "cli");
    CHECK(archive().name == "Lists/" + staff);
    CHECK(store->list_messages(archive().id).empty());
}
