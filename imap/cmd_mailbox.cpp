// Mailbox commands: CREATE, DELETE, RENAME, SUBSCRIBE,
// UNSUBSCRIBE, STATUS. Names are store rows in UTF-8, modified UTF-7 on
// the wire; '/' is the hierarchy delimiter.
#include <fmt/format.h>

#include <algorithm>

#include "common/util/strings.hpp"
#include "imap/flags.hpp"
#include "imap/list_match.hpp"
#include "imap/session.hpp"
#include "imap/status_items.hpp"
#include "imap/store_outcome.hpp"
#include "store/list_archive.hpp"

namespace pochta::imap {

namespace {

// CREATE's parameter list (RFC 4466): "(USE (\\Sent))", CREATE-SPECIAL-USE
// (RFC 6154 3); one attribute, as the store keeps one use per mailbox.
// Sets `error` for bad syntax, `unknown_use` for an attribute it lacks.
std::optional<store::SpecialUse> create_use(const Token& params, std::string& error, bool& unknown_use) {
    const auto& p = params.children;
    if (!params.is_list() || p.size() != 2 || !p[0].is_atom() || !iequals(p[0].text, "USE") || !p[1].is_list()) {
        error = "Unknown CREATE parameter";
        return std::nullopt;
    }
    if (p[1].children.empty()) return store::SpecialUse::none;
    std::optional<store::SpecialUse> use;
    if (p[1].children.size() == 1 && p[1].children[0].is_atom()) use = special_use_named(p[1].children[0].text);
    unknown_use = !use;
    return use;
}

}  // namespace

void Session::cmd_create(const Command& cmd) {
    if (cmd.args.empty() || cmd.args.size() > 2) return bad("CREATE needs a mailbox name");
    store::SpecialUse use = store::SpecialUse::none;
    if (cmd.args.size() == 2) {
        std::string error;
        bool unknown_use = false;
        auto wanted = create_use(cmd.args[1], error, unknown_use);
        if (unknown_use) return no("Special use not supported", "USEATTR");
        if (!wanted) return bad(error);
        use = *wanted;
    }
    auto name = name_arg(cmd.args[0]);
    if (!name) return bad("Invalid mailbox name");
    // A trailing delimiter says the client means to create children later.
    while (!name->empty() && name->back() == kDelimiter) name->pop_back();
    if (name->empty()) return no("Invalid mailbox name", "CANNOT");
    if (*name == "INBOX") return no("INBOX already exists", "ALREADYEXISTS");
    std::string user = user_, n = *name;
    // Missing superiors are not made (RFC 3501 6.3.3 asks only that CREATE
    // succeed): they are levels of the hierarchy, \Noselect in LIST, that
    // vanish with their last inferior, as Dovecot's (README, "IMAP": LIST).
    run_store<int64_t>([user, n, use](store::Store& store) {
                           store::refuse_archive_write(store, user, n);
                           return store.create_mailbox(user, n, use).id;
                       },
                       [](Session& self, int64_t id, store::Error error) {
                           if (error.kind == store::ErrorKind::already_exists)
                               return self.no("Mailbox already exists", "ALREADYEXISTS");
                           if (error)
                               return self.no(refusal_text("Cannot create mailbox", error),
                                              response_code(error.kind));
                           self.ok("CREATE completed", fmt::format("MAILBOXID (F{})", id));  // RFC 8474 4.1
                       });
}

void Session::cmd_delete(const Command& cmd) {
    if (cmd.args.size() != 1) return bad("DELETE needs a mailbox name");
    auto name = name_arg(cmd.args[0]);
    if (!name) return bad("Invalid mailbox name");
    if (*name == "INBOX") return no("INBOX cannot be deleted", "CANNOT");
    std::string user = user_, n = *name;
    run_store<bool>([user, n](store::Store& store) {
                        store::refuse_archive_write(store, user, n);
                        return store.delete_mailbox(user, n), true;
                    },
                    [n](Session& self, bool, store::Error error) {
                        if (error.kind == store::ErrorKind::nonexistent)
                            return self.no("No such mailbox", "NONEXISTENT");
                        // RFC 9051 6.3.4 names the code; rev1 clients keep the old one.
                        if (error.kind == store::ErrorKind::has_children)
                            return self.no("Mailbox has inferior hierarchical names",
                                           response_code(error.kind, self.imap4rev2_));
                        if (error)
                            return self.no(refusal_text("Cannot delete mailbox", error), response_code(error.kind));
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
    run_store<bool>(
        [user, f, t](store::Store& store) {
            // Superiors of the target are not made, as for CREATE. A \Noselect
            // level renames with its inferiors (README, "IMAP").
            store::refuse_archive_write(store, user, f);
            store::refuse_archive_write(store, user, t);
            store.rename_mailbox(user, f, t);
            return true;
        },
        [](Session& self, bool, store::Error error) {
            if (error.kind == store::ErrorKind::nonexistent) return self.no("No such mailbox", "NONEXISTENT");
            if (error.kind == store::ErrorKind::already_exists)
                return self.no("Target mailbox already exists", "ALREADYEXISTS");
            if (error) return self.no(refusal_text("Cannot rename mailbox", error), response_code(error.kind));
            self.ok("RENAME completed");
        });
}

void Session::cmd_subscribe(const Command& cmd, bool subscribe) {
    if (cmd.args.size() != 1) return bad("Mailbox name expected");
    auto name = name_arg(cmd.args[0]);
    if (!name) return bad("Invalid mailbox name");
    std::string user = user_, n = *name;
    run_store<bool>(
        [user, n, subscribe](store::Store& store) {
            const store::MailboxPlace place = store::place_of(store, user, n);
            if (subscribe && !store.find_mailbox(place.owner, place.name))
                throw store::MailboxNotFound("no such mailbox");
            store.set_subscribed(user, n, subscribe);
            return true;
        },
        [subscribe](Session& self, bool, store::Error error) {
            if (error.kind == store::ErrorKind::nonexistent) return self.no("No such mailbox", "NONEXISTENT");
            if (error) return self.no(refusal_text("Cannot change the subscription", error), response_code(error.kind));
            self.ok(subscribe ? "SUBSCRIBE completed" : "UNSUBSCRIBE completed");
        });
}

void Session::cmd_status(const Command& cmd) {
    if (cmd.args.size() != 2) return bad("STATUS needs a mailbox and a list of items");
    auto name = name_arg(cmd.args[0]);
    if (!name) return bad("Invalid mailbox name");
    std::string error;
    auto items = parse_status_items(cmd.args[1], error);
    if (!items) return bad(error);
    if (std::find(items->begin(), items->end(), "highestmodseq") != items->end()) enable_condstore();
    struct Found {
        std::optional<store::MailboxInfo> box;
        StatusCounts counts;
    };
    std::string user = user_, n = *name;
    bool counts = status_needs_messages(*items);
    run_store<Found>(
        [user, n, counts](store::Store& store) {
            Found f;
            const store::MailboxPlace place = store::place_of(store, user, n);
            f.box = store.find_mailbox(place.owner, place.name);
            if (f.box) f.box->name = n;
            if (f.box && counts) f.counts = count_status(store.list_messages(f.box->id), store.claim_recent(f.box->id, 0));
            return f;
        },
        [items = *items](Session& self, Found f, store::Error error) {
            if (!error.empty()) return self.no("Cannot read the mailbox", "SERVERBUG");
            if (!f.box) return self.no("No such mailbox", "NONEXISTENT");
            self.send(self.status_response(*f.box, f.counts, items));
            self.ok("STATUS completed");
        });
}

// "* STATUS name (...)". \Recent: the session's own count for the mailbox
// it holds; elsewhere what no session has claimed yet, which the next
// SELECT would report (claim_recent(id, 0) reads without claiming).
std::string Session::status_response(const store::MailboxInfo& box, const StatusCounts& counts,
                                     const std::vector<std::string>& items) const {
    uint32_t recent = counts.recent;
    if (selected_ && selected_->view.mailbox_id() == box.id) recent = selected_->view.recent_count();
    return fmt::format("* STATUS {} ({})\r\n", wire_name(box.name), status_values(items, box, counts, recent));
}

}  // namespace pochta::imap
