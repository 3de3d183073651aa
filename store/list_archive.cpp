// List archives (README.md, "Mailing lists": The archive); see list_archive.hpp.
#include "store/list_archive.hpp"

#include <algorithm>
#include <set>

#include "common/util/strings.hpp"
#include "store/sqlite_store.hpp"

namespace pochta::store {

namespace {

constexpr std::string_view archive_owner_prefix = "list-archive:";

// The list named by "Lists/<list>", if the name has that form.
std::optional<std::string> archive_list_of(std::string_view name) {
    if (name.size() <= list_archive_root.size() + 1 || !name.starts_with(list_archive_root) ||
        name[list_archive_root.size()] != '/')
        return std::nullopt;
    return std::string(name.substr(list_archive_root.size() + 1));
}

// The archive's INBOX, made (with the owner) at the first look when the
// list has had no post yet, so a new list's archive can be selected.
std::optional<MailboxInfo> archive_mailbox(Store& store, const std::string& list) {
    const std::string owner = list_archive_owner(list);
    auto box = store.find_mailbox(owner, "INBOX");
    if (box) return box;
    store.ensure_user(owner);
    return store.find_mailbox(owner, "INBOX");
}

bool reads_list(Store& store, const std::string& user, const std::string& list) {
    const auto lists = store.lists_of_person(to_lower(user));
    return std::find(lists.begin(), lists.end(), list) != lists.end();
}

}  // namespace

std::string list_archive_owner(std::string_view list) {
    return std::string(archive_owner_prefix) + std::string(list);
}

bool is_list_archive_owner(std::string_view user) { return user.starts_with(archive_owner_prefix); }

std::string list_archive_name(std::string_view list) {
    return std::string(list_archive_root) + "/" + std::string(list);
}

MailboxPlace place_of(Store& store, const std::string& user, const std::string& name) {
    auto list = archive_list_of(name);
    if (!list || !reads_list(store, user, *list) || !archive_mailbox(store, *list)) return {user, name, false};
    return {list_archive_owner(*list), "INBOX", true};
}

void refuse_archive_write(Store& store, const std::string& user, const std::string& name) {
    auto below = archive_list_of(name);
    if (!below) return;
    const std::string list = below->substr(0, below->find('/'));  // an archive has no inferiors either
    if (reads_list(store, user, list)) throw MailboxRefused("list archives are read-only");
}

std::vector<MailboxInfo> visible_mailboxes(Store& store, const std::string& user) {
    std::vector<MailboxInfo> archives;
    std::set<std::string> names;
    for (const auto& list : store.lists_of_person(to_lower(user))) {
        auto box = archive_mailbox(store, list);
        if (!box) continue;
        box->name = list_archive_name(list);
        box->special_use = SpecialUse::none;
        names.insert(box->name);
        archives.push_back(std::move(*box));
    }
    std::vector<MailboxInfo> boxes = store.list_mailboxes(user);
    std::erase_if(boxes, [&](const MailboxInfo& box) { return names.count(box.name) > 0; });
    for (auto& archive : archives) boxes.push_back(std::move(archive));
    return boxes;
}

void settle_archive(Store& store, const std::string& list) {
    if (auto box = store.find_mailbox(list_archive_owner(list), "INBOX")) store.claim_recent(box->id);
}

Delivery archive_delivery(const std::string& list, const std::string& envelope_from, std::string post) {
    Delivery d;
    d.queue_id = random_hex(8);
    d.envelope_from = envelope_from;
    d.data = std::move(post);
    d.local_users.push_back(list_archive_owner(list));
    return d;
}

std::vector<std::string> SqliteStore::lists_of_person(const std::string& address) {
    auto db = readers_->acquire();
    auto q = db->cached(
        "SELECT l.address FROM list_people p JOIN lists l ON l.id = p.list_id WHERE p.address = ?1 "
        "ORDER BY l.address");
    q->bind(1, address);
    std::vector<std::string> out;
    while (q->step()) out.push_back(q->text(0));
    return out;
}

}  // namespace pochta::store
