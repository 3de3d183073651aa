// `pochta list create|delete|show|add|remove|members|set|enable LIST ...`
// (README "Command line", "Mailing lists"): a list's people and settings,
// changed in the store beside a running server; every change is logged in
// the list's log as by "cli".
#include <fmt/format.h>

#include <cstdio>
#include <ctime>

#include "common/address/address.hpp"
#include "common/auth/directory.hpp"
#include "lists/list_settings.hpp"
#include "server/cli.hpp"
#include "store/store.hpp"

namespace pochta::cli {

namespace {

constexpr const char* actor = "cli";
constexpr size_t shown_events = 20;

std::optional<std::string> address_argument(const std::string& text) {
    auto address = parse_address(text);
    if (!address || address->domain_literal) {
        fail("not an address: " + text);
        return std::nullopt;
    }
    return address->canonical();
}

// The list's address, in a local domain and no user's or alias's.
std::optional<std::string> new_list_address(const Config& config, const std::string& text) {
    auto address = parse_address(text);
    if (!address || address->domain_literal || !config.is_local_domain(address->domain)) {
        fail(text + " is not an address in a local domain");
        return std::nullopt;
    }
    if (auth::Snapshot::load(config)->resolve(address->canonical()).found) {
        fail(text + " is a user or an alias already");
        return std::nullopt;
    }
    return address->canonical();
}

std::optional<uint32_t> role_named(const std::string& name) {
    if (name == "member") return store::list_member;
    if (name == "moderator") return store::list_moderator;
    if (name == "owner") return store::list_owner;
    return std::nullopt;
}

std::optional<store::ListDelivery> delivery_named(const std::string& name) {
    if (name == "on") return store::ListDelivery::on;
    if (name == "off") return store::ListDelivery::off;
    if (name == "digest") return store::ListDelivery::digest;
    return std::nullopt;
}

store::MailingList existing(store::Store& store, const std::string& list) {
    auto found = store.find_list(list);
    if (!found) throw store::StoreError("no list " + list, store::ErrorKind::nonexistent);
    return *found;
}

// A value on one line: the footer's line breaks shown as "\n".
std::string one_line(std::string_view text) {
    std::string out;
    for (char c : text) out += c == '\n' ? std::string("\\n") : std::string(1, c);
    return out;
}

int show(store::Store& store, const std::string& list) {
    const store::MailingList found = existing(store, list);
    std::printf("list %s\n", found.address.c_str());
    for (const auto& [name, value] : lists::describe_settings(lists::read_settings(found.settings)))
        std::printf("%s = %s\n", name.c_str(), one_line(value).c_str());
    size_t counts[3] = {0, 0, 0};
    for (const auto& p : found.people)
        for (int i = 0; i < 3; ++i) counts[i] += (p.roles >> i) & 1;
    std::printf("members %zu moderators %zu owners %zu\n", counts[0], counts[1], counts[2]);
    for (const auto& event : store.list_events(list, shown_events)) {
        char when[32];
        const std::time_t t = event.time;
        std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
        std::printf("log %s %s %s\n", when, event.actor.c_str(), one_line(event.action).c_str());
    }
    return 0;
}

// add LIST ADDRESS [ROLE...] [--delivery on|off|digest]: roles are added to
// the ones the person has; member when none is named.
int add(store::Store& store, const std::string& list, const Args& args) {
    auto address = address_argument(args[2]);
    if (!address) return 1;
    uint32_t roles = 0;
    std::optional<store::ListDelivery> delivery;
    for (size_t i = 3; i < args.size(); ++i) {
        if (args[i] == "--delivery" && i + 1 < args.size()) {
            delivery = delivery_named(args[++i]);
            if (!delivery) return usage();
        } else if (auto role = role_named(args[i])) {
            roles |= *role;
        } else {
            return usage();
        }
    }
    store::ListPerson person{*address, 0, store::ListDelivery::on};
    for (const auto& p : existing(store, list).people)
        if (p.address == *address) person = p;
    person.roles |= roles == 0 && !delivery ? store::list_member : roles;
    if (delivery) person.delivery = *delivery;
    if (person.roles == 0) person.roles = store::list_member;
    store.set_list_person(list, person, actor);
    return 0;
}

// remove LIST ADDRESS [ROLE...]: those roles, or the person altogether.
int remove(store::Store& store, const std::string& list, const Args& args) {
    auto address = address_argument(args[2]);
    if (!address) return 1;
    std::optional<store::ListPerson> person;
    for (const auto& p : existing(store, list).people)
        if (p.address == *address) person = p;
    if (!person) return fail(fmt::format("{} is not on {}", *address, list));
    uint32_t roles = 0;
    for (size_t i = 3; i < args.size(); ++i) {
        auto role = role_named(args[i]);
        if (!role) return usage();
        roles |= *role;
    }
    person->roles = roles == 0 ? 0 : person->roles & ~roles;
    store.set_list_person(list, *person, actor);
    return 0;
}

int run(const Args& args, const Config& config) {
    const std::string& verb = args[0];
    if (verb == "create") {
        if (args.size() != 2) return usage();
        auto list = new_list_address(config, args[1]);
        if (!list) return 1;
        open_store(config)->create_list(*list, actor);
        return 0;
    }
    auto list = address_argument(args[1]);
    if (!list) return 1;
    auto store = open_store(config);
    if (verb == "delete" && args.size() == 2) return store->delete_list(*list, actor), 0;
    if (verb == "show" && args.size() == 2) return show(*store, *list);
    if (verb == "add" && args.size() >= 3) return add(*store, *list, args);
    if (verb == "remove" && args.size() >= 3) return remove(*store, *list, args);
    if (verb == "members" && args.size() == 2) {
        for (const auto& p : existing(*store, *list).people)
            std::printf("%s %s %s%s\n", p.address.c_str(), store::describe_roles(p.roles).c_str(),
                        std::string(store::describe_delivery(p.delivery)).c_str(),
                        p.disabled != 0 ? " stopped-by-bounces" : "");
        return 0;
    }
    if (verb == "enable" && args.size() == 3) {
        auto member = address_argument(args[2]);
        if (!member) return 1;
        existing(*store, *list);
        if (!store->enable_list_member(*list, *member, actor)) return fail(fmt::format("{} is not on {}", *member, *list));
        return 0;
    }
    if (verb == "set" && args.size() == 4) {
        if (auto error = lists::check_setting(args[2], args[3]); !error.empty()) return fail(error);
        store->set_list_setting(*list, args[2], args[3], actor);
        return 0;
    }
    return usage();
}

}  // namespace

int list(const Args& args, const Config& config) {
    if (args.size() < 2) return usage();
    try {
        return run(args, config);
    } catch (const store::StoreError& e) {
        return fail(e.what());
    }
}

}  // namespace pochta::cli
