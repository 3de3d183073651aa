// Mailbox commands: LIST, LSUB, CREATE, DELETE, RENAME, SUBSCRIBE,
// UNSUBSCRIBE, STATUS. Names are store rows in UTF-8, modified UTF-7 on
// the wire; '/' is the hierarchy delimiter.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "common/util/strings.hpp"
#include "imap/list_match.hpp"
#include "imap/mutf7.hpp"
#include "imap/session.hpp"
#include "imap/store_outcome.hpp"

namespace pochta::imap {
namespace {

const char* special_use_attribute(store::SpecialUse use) {
    switch (use) {
        case store::SpecialUse::drafts: return "\\Drafts";
        case store::SpecialUse::sent: return "\\Sent";
        case store::SpecialUse::trash: return "\\Trash";
        case store::SpecialUse::junk: return "\\Junk";
        case store::SpecialUse::archive: return "\\Archive";
        case store::SpecialUse::none: break;
    }
    return nullptr;
}

// INBOX first, then by name: what clients show.
bool list_order(const std::string& a, const std::string& b) {
    if ((a == "INBOX") != (b == "INBOX")) return a == "INBOX";
    return a < b;
}

struct ListEntry {
    bool exists = false;  // false: only an ancestor of names that exist (\Noselect)
    bool has_children = false;
    store::SpecialUse use = store::SpecialUse::none;
};

// The names and every ancestor they imply, with what LIST says of them.
std::map<std::string, ListEntry> list_entries(const std::vector<std::pair<std::string, store::SpecialUse>>& names) {
    std::map<std::string, ListEntry> out;
    for (const auto& [name, use] : names) {
        ListEntry& e = out[name];
        e.exists = true;
        e.use = use;
        for (size_t slash = name.find(kDelimiter); slash != std::string::npos; slash = name.find(kDelimiter, slash + 1))
            out[name.substr(0, slash)].has_children = true;
    }
    return out;
}

std::string mailbox_error_code(Outcome::Kind kind) {
    switch (kind) {
        case Outcome::Kind::not_found: return "NONEXISTENT";
        case Outcome::Kind::exists: return "ALREADYEXISTS";
        case Outcome::Kind::failed: return "SERVERBUG";
        default: return "CANNOT";
    }
}

// Creates the missing parents of `name` (RFC 3501 6.3.3: superiors are
// created as needed), then `name` unless only_parents.
void create_with_parents(store::Store& store, const std::string& user, const std::string& name, bool only_parents) {
    for (size_t slash = name.find(kDelimiter); slash != std::string::npos; slash = name.find(kDelimiter, slash + 1)) {
        std::string parent = name.substr(0, slash);
        if (!store.find_mailbox(user, parent)) {
            try {
                store.create_mailbox(user, parent);
            } catch (const store::MailboxExists&) {
                // created meanwhile by another session: fine
            }
        }
    }
    if (!only_parents) store.create_mailbox(user, name);
}

std::string upper(std::string s) {
    for (char& c : s)
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    return s;
}

}  // namespace

void Session::cmd_list(const Command& cmd, bool lsub) {
    if (cmd.args.size() != 2) return bad(lsub ? "LSUB needs a reference and a mailbox" : "Extended LIST is not supported");
    auto reference_wire = cmd.args[0].astring();
    auto pattern_wire = cmd.args[1].astring();
    if (!reference_wire || !pattern_wire) return bad("Invalid LIST arguments");
    // Wildcards are plain ASCII, so decoding the whole pattern as a name works.
    auto reference = reference_wire->empty() ? std::optional<std::string>("")
                                             : mailbox_from_wire(*reference_wire, utf8_enabled_);
    auto pattern = pattern_wire->empty() ? std::optional<std::string>("") : mailbox_from_wire(*pattern_wire, utf8_enabled_);
    if (!reference || !pattern) return bad("Invalid mailbox name encoding");
    if (pattern->empty()) {
        send(fmt::format("* {} (\\Noselect) \"/\" \"\"\r\n", lsub ? "LSUB" : "LIST"));
        return ok(std::string(lsub ? "LSUB" : "LIST") + " completed");
    }
    std::string full = join_list_pattern(*reference, *pattern);
    struct Lists {
        std::vector<store::MailboxInfo> boxes;
        std::vector<std::string> subscribed;
    };
    std::string user = user_;
    run_store<Lists>(
        [user, lsub](store::Store& store) {
            Lists l;
            l.boxes = store.list_mailboxes(user);
            if (lsub) l.subscribed = store.subscriptions(user);
            return l;
        },
        [full, lsub](Session& self, Lists l, std::string error) {
            if (!error.empty()) return self.no("Cannot list mailboxes", "SERVERBUG");
            std::vector<std::pair<std::string, store::SpecialUse>> names;
            std::set<std::string> existing;
            for (const auto& box : l.boxes) existing.insert(box.name);
            if (lsub)
                for (const auto& s : l.subscribed) names.emplace_back(s, store::SpecialUse::none);
            else
                for (const auto& box : l.boxes) names.emplace_back(box.name, box.special_use);
            auto entries = list_entries(names);
            std::vector<std::string> order;
            for (const auto& [name, e] : entries)
                if (list_match(full, name)) order.push_back(name);
            std::sort(order.begin(), order.end(), list_order);
            std::string out;
            for (const auto& name : order) {
                const ListEntry& e = entries[name];
                std::vector<std::string> attrs;
                if (!e.exists || (lsub && !existing.count(name))) attrs.push_back("\\Noselect");
                if (!lsub) attrs.push_back(e.has_children ? "\\HasChildren" : "\\HasNoChildren");
                if (const char* use = special_use_attribute(e.use)) attrs.push_back(use);
                std::string joined;
                for (const auto& a : attrs) joined += (joined.empty() ? "" : " ") + a;
                out += fmt::format("* {} ({}) \"/\" {}\r\n", lsub ? "LSUB" : "LIST", joined, self.wire_name(name));
            }
            self.send(out);
            self.ok(std::string(lsub ? "LSUB" : "LIST") + " completed");
        });
}

void Session::cmd_create(const Command& cmd) {
    if (cmd.args.size() != 1) return bad("CREATE needs a mailbox name");
    auto name = name_arg(cmd.args[0]);
    if (!name) return bad("Invalid mailbox name");
    // A trailing delimiter says the client means to create children later.
    while (!name->empty() && name->back() == kDelimiter) name->pop_back();
    if (name->empty()) return no("Invalid mailbox name", "CANNOT");
    if (*name == "INBOX") return no("INBOX already exists", "ALREADYEXISTS");
    std::string user = user_, n = *name;
    run_store<Outcome>([user, n](store::Store& store) { return guarded([&] { create_with_parents(store, user, n, false); }); },
                       [](Session& self, Outcome o, std::string error) {
                           if (!error.empty()) return self.no("Cannot create mailbox", "SERVERBUG");
                           if (o.kind == Outcome::Kind::exists) return self.no("Mailbox already exists", "ALREADYEXISTS");
                           if (!o.ok()) return self.no("Cannot create mailbox: " + o.message, mailbox_error_code(o.kind));
                           self.ok("CREATE completed");
                       });
}

void Session::cmd_delete(const Command& cmd) {
    if (cmd.args.size() != 1) return bad("DELETE needs a mailbox name");
    auto name = name_arg(cmd.args[0]);
    if (!name) return bad("Invalid mailbox name");
    if (*name == "INBOX") return no("INBOX cannot be deleted", "CANNOT");
    std::string user = user_, n = *name;
    run_store<Outcome>([user, n](store::Store& store) { return guarded([&] { store.delete_mailbox(user, n); }); },
                       [n](Session& self, Outcome o, std::string error) {
                           if (!error.empty()) return self.no("Cannot delete mailbox", "SERVERBUG");
                           if (o.kind == Outcome::Kind::not_found) return self.no("No such mailbox", "NONEXISTENT");
                           if (o.kind == Outcome::Kind::refused)
                               return self.no("Mailbox has inferior hierarchical names", "INUSE");
                           if (!o.ok()) return self.no("Cannot delete mailbox: " + o.message, mailbox_error_code(o.kind));
                           self.ok("DELETE completed");
                       });
}

void Session::cmd_rename(const Command& cmd) {
    if (cmd.args.size() != 2) return bad("RENAME needs two mailbox names");
    auto from = name_arg(cmd.args[0]);
    auto to = name_arg(cmd.args[1]);
    if (!from || !to) return bad("Invalid mailbox name");
    while (!to->empty() && to->back() == kDelimiter) to->pop_back();
    if (to->empty()) return no("Invalid mailbox name", "CANNOT");
    if (*to == "INBOX") return no("INBOX already exists", "ALREADYEXISTS");
    std::string user = user_, f = *from, t = *to;
    run_store<Outcome>(
        [user, f, t](store::Store& store) {
            return guarded([&] {
                if (!store.find_mailbox(user, f)) throw store::MailboxNotFound("no such mailbox");
                if (store.find_mailbox(user, t)) throw store::MailboxExists("target exists");
                create_with_parents(store, user, t, true);
                store.rename_mailbox(user, f, t);
            });
        },
        [](Session& self, Outcome o, std::string error) {
            if (!error.empty()) return self.no("Cannot rename mailbox", "SERVERBUG");
            if (o.kind == Outcome::Kind::not_found) return self.no("No such mailbox", "NONEXISTENT");
            if (o.kind == Outcome::Kind::exists) return self.no("Target mailbox already exists", "ALREADYEXISTS");
            if (!o.ok()) return self.no("Cannot rename mailbox: " + o.message, mailbox_error_code(o.kind));
            self.ok("RENAME completed");
        });
}

void Session::cmd_subscribe(const Command& cmd, bool subscribe) {
    if (cmd.args.size() != 1) return bad("Mailbox name expected");
    auto name = name_arg(cmd.args[0]);
    if (!name) return bad("Invalid mailbox name");
    std::string user = user_, n = *name;
    run_store<Outcome>(
        [user, n, subscribe](store::Store& store) {
            return guarded([&] {
                if (subscribe && !store.find_mailbox(user, n)) throw store::MailboxNotFound("no such mailbox");
                store.set_subscribed(user, n, subscribe);
            });
        },
        [subscribe](Session& self, Outcome o, std::string error) {
            if (!error.empty()) return self.no("Cannot change the subscription", "SERVERBUG");
            if (o.kind == Outcome::Kind::not_found) return self.no("No such mailbox", "NONEXISTENT");
            if (!o.ok()) return self.no("Cannot change the subscription: " + o.message, mailbox_error_code(o.kind));
            self.ok(subscribe ? "SUBSCRIBE completed" : "UNSUBSCRIBE completed");
        });
}

void Session::cmd_status(const Command& cmd) {
    if (cmd.args.size() != 2 || !cmd.args[1].is_list() || cmd.args[1].children.empty())
        return bad("STATUS needs a mailbox and a list of items");
    auto name = name_arg(cmd.args[0]);
    if (!name) return bad("Invalid mailbox name");
    std::vector<std::string> items;
    for (const auto& t : cmd.args[1].children) {
        if (!t.is_atom()) return bad("Invalid STATUS item");
        std::string item = to_lower(t.text);
        if (item != "messages" && item != "recent" && item != "uidnext" && item != "uidvalidity" && item != "unseen")
            return bad("Unknown STATUS item " + response_text(t.text));
        items.push_back(item);
    }
    std::string user = user_, n = *name;
    run_store<std::optional<store::MailboxInfo>>(
        [user, n](store::Store& store) { return store.find_mailbox(user, n); },
        [items, n](Session& self, std::optional<store::MailboxInfo> box, std::string error) {
            if (!error.empty()) return self.no("Cannot read the mailbox", "SERVERBUG");
            if (!box) return self.no("No such mailbox", "NONEXISTENT");
            // \Recent is only known for the mailbox this session holds.
            uint32_t recent = 0;
            if (self.selected_ && self.selected_->view.mailbox_id() == box->id) recent = self.selected_->view.recent_count();
            std::string values;
            for (const auto& item : items) {
                uint64_t v = item == "messages"      ? box->messages
                             : item == "recent"      ? recent
                             : item == "uidnext"     ? box->uidnext
                             : item == "uidvalidity" ? box->uidvalidity
                                                     : box->unseen;
                values += fmt::format("{}{} {}", values.empty() ? "" : " ", upper(item), v);
            }
            self.send(fmt::format("* STATUS {} ({})\r\n", self.wire_name(box->name), values));
            self.ok("STATUS completed");
        });
}

}  // namespace pochta::imap
