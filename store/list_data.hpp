// Mailing lists as the store keeps them (README.md, "Mailing lists"):
// the list, its people and their roles, its settings as names and values
// (lists/list_settings.hpp gives them meaning), the log of every change,
// and the pending items that wait for a step (a post to process, a post
// held for a moderator, a subscription waiting for its confirmation).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pochta::store {

enum ListRole : uint32_t { list_member = 1, list_moderator = 2, list_owner = 4 };

enum class ListDelivery { on, off, digest };

struct ListPerson {
    std::string address;       // lowercased
    uint32_t roles = 0;        // ListRole bits
    ListDelivery delivery = ListDelivery::on;
    int64_t disabled = 0;      // unix seconds delivery was stopped by bounces; 0: not
};

// "member,moderator" ("none" for no role) and "on"/"off"/"digest", for the
// list log and `pochta list members` (store/list_ops.cpp).
std::string describe_roles(uint32_t roles);
std::string_view describe_delivery(ListDelivery delivery);

struct MailingList {
    int64_t id = 0;
    std::string address;       // lowercased list address
    std::map<std::string, std::string> settings;
    std::vector<ListPerson> people;  // by address
};

struct ListEvent {
    int64_t time = 0;          // unix seconds
    std::string actor;         // "cli", or the address that asked by mail
    std::string action;        // "add bob@example.org member", ...
};

// Kinds of pending items: a post or request that arrived and is not yet
// processed ("inbound"), a post held for moderation ("held"), and a
// subscription or unsubscription waiting for its confirmation.
enum class ListPendingKind { inbound, held, subscribe, unsubscribe };

struct ListPending {
    int64_t id = 0;
    std::string list;          // list address
    ListPendingKind kind = ListPendingKind::inbound;
    std::string address;       // inbound: "COMMAND SENDER"; held: the author; subscribe: who
    std::string data;          // inbound and held: the message
    int64_t created = 0;
    int64_t expires = 0;       // unix seconds; 0: never
};

// Hard bounces of a member (README.md, "Mailing lists", "Bounces"): the
// number of days with one inside the window, and whether this bounce
// stopped the member's delivery.
struct ListBounceScore {
    int64_t score = 0;
    bool disabled_now = false;
};

// A post kept for the next digest (README.md, "Mailing lists", "Digests").
struct ListDigestPost {
    int64_t id = 0;
    int64_t created = 0;       // unix seconds
    std::string data;          // the post as it arrived (when asked for)
};

}  // namespace pochta::store
