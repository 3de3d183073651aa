// List archives (README.md, "Mailing lists": The archive). Every post a
// list distributes is also kept in the list's archive: the INBOX of a store
// user that belongs to the list and that no login can be (its address has a
// ':', which the users file cannot hold). IMAP shows each archive to the
// list's people as the read-only mailbox "Lists/<list address>" in a shared
// namespace; these helpers map such names to the store and decide who may
// read them. They run where store calls run (off the loop).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/store.hpp"

namespace pochta::store {

// The shared namespace's prefix is this level plus the delimiter '/'.
inline constexpr std::string_view list_archive_root = "Lists";

// The store user whose INBOX is the archive of `list` (a lowercased address).
std::string list_archive_owner(std::string_view list);
// Whether a store user is the owner of a list archive.
bool is_list_archive_owner(std::string_view user);

// "Lists/<list>" for a list address.
std::string list_archive_name(std::string_view list);

// Where an IMAP name of `user` is kept: `owner`'s mailbox `name`.
struct MailboxPlace {
    std::string owner;
    std::string name;
    bool archive = false;  // a list archive: read-only
};

// "Lists/<list>" is the archive of that list when `user` is one of the
// list's people (made empty when the list has had no post yet); every
// other name is the user's own mailbox, so their own mailboxes under
// "Lists/" (made by a Sieve fileinto, say) stay theirs, and a name tells
// those outside a list nothing of it.
MailboxPlace place_of(Store& store, const std::string& user, const std::string& name);

// Throws MailboxRefused when `name` is an archive `user` reads, or a name
// below one: archives take no messages and are not made, renamed or
// deleted, nor given inferiors.
void refuse_archive_write(Store& store, const std::string& user, const std::string& name);

// The user's own mailboxes but those an archive hides (same name), then
// the archives the user may read, named "Lists/<list>", for LIST.
std::vector<MailboxInfo> visible_mailboxes(Store& store, const std::string& user);

// Nothing in an archive is \Recent: once a post is archived, the archive's
// messages are claimed (by no session), so SELECT, STATUS and LIST agree.
void settle_archive(Store& store, const std::string& list);

// The delivery that keeps `post` (as the members get it, without
// Return-Path) in the archive of `list`.
Delivery archive_delivery(const std::string& list, const std::string& envelope_from, std::string post);

}  // namespace pochta::store
