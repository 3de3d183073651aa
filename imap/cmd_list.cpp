// LIST with LIST-EXTENDED (RFC 5258: selection options, several patterns,
// RETURN options, \NonExistent, \Subscribed, CHILDINFO), SPECIAL-USE
// (RFC 6154) and LIST-STATUS (RFC 5819); and LSUB. Names are store rows
// in UTF-8, converted for the wire by wire_name().
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "common/util/strings.hpp"
#include "imap/list_match.hpp"
#include "imap/mutf7.hpp"
#include "imap/flags.hpp"
#include "imap/session.hpp"
#include "imap/status_items.hpp"
#include "store/list_archive.hpp"

namespace pochta::imap {
namespace {

// INBOX first, then by name: what clients show.
bool list_order(const std::string& a, const std::string& b) {
    if ((a == "INBOX") != (b == "INBOX")) return a == "INBOX";
    return a < b;
}

struct ListOptions {
    bool extended = false;          // any LIST-EXTENDED syntax was used
    bool select_subscribed = false;
    bool select_special_use = false;
    bool recursive = false;         // RECURSIVEMATCH
    bool return_subscribed = false;
    std::optional<std::vector<std::string>> status;  // RETURN (STATUS (...))
    std::string reference;          // wire form
    std::vector<std::string> patterns;
};

bool parse_selection(const Token& list, ListOptions& o, std::string& error) {
    for (const auto& t : list.children) {
        std::string name = t.is_atom() ? to_lower(t.text) : std::string();
        if (name == "subscribed") o.select_subscribed = true;
        else if (name == "special-use") o.select_special_use = true;
        else if (name == "recursivematch") o.recursive = true;
        else if (name != "remote") return (error = "Unknown LIST selection option", false);
    }
    // RFC 5258 3: RECURSIVEMATCH alone means nothing.
    if (o.recursive && !o.select_subscribed && !o.select_special_use)
        return (error = "RECURSIVEMATCH needs another selection option", false);
    return true;
}

bool parse_return(const Token& list, ListOptions& o, std::string& error) {
    const auto& items = list.children;
    for (size_t i = 0; i < items.size(); i++) {
        std::string name = items[i].is_atom() ? to_lower(items[i].text) : std::string();
        if (name == "subscribed") {
            o.return_subscribed = true;
        } else if (name == "status" && i + 1 < items.size()) {
            o.status = parse_status_items(items[++i], error);
            if (!o.status) return false;
        } else if (name != "children" && name != "special-use") {
            // CHILDREN and SPECIAL-USE attributes are always given.
            return (error = "Unknown LIST return option", false);
        }
    }
    return true;
}

// LIST [(selection)] reference (pattern | (patterns...)) [RETURN (options)].
bool parse_list(const std::vector<Token>& args, ListOptions& o, std::string& error) {
    size_t i = 0;
    if (i < args.size() && args[i].is_list()) {
        o.extended = true;
        if (!parse_selection(args[i++], o, error)) return false;
    }
    if (i + 2 > args.size()) return (error = "LIST needs a reference and a mailbox", false);
    auto reference = args[i++].astring();
    if (!reference) return (error = "Invalid LIST reference", false);
    o.reference = *reference;
    const Token& pat = args[i++];
    if (pat.is_list()) {
        o.extended = true;
        if (pat.children.empty()) return (error = "Empty LIST pattern list", false);
        for (const auto& p : pat.children) {
            auto text = p.astring();
            if (!text) return (error = "Invalid LIST pattern", false);
            o.patterns.emplace_back(*text);
        }
    } else {
        auto text = pat.astring();
        if (!text) return (error = "Invalid LIST pattern", false);
        o.patterns.emplace_back(*text);
    }
    if (i == args.size()) return true;
    if (i + 2 != args.size() || !args[i].is_atom() || !iequals(args[i].text, "RETURN") || !args[i + 1].is_list())
        return (error = "Invalid LIST arguments", false);
    o.extended = true;
    return parse_return(args[i + 1], o, error);
}

bool matches_any(const std::vector<std::string>& patterns, const std::string& name) {
    return std::any_of(patterns.begin(), patterns.end(), [&](const std::string& p) { return list_match(p, name); });
}

struct Entry {
    bool exists = false;            // a mailbox row
    bool has_children = false;      // some existing mailbox lies below
    bool subscribed = false;
    bool subscribed_child = false;  // some subscribed name lies below
    bool unmatched_subscribed_child = false;  // ... one the patterns do not match
    store::SpecialUse use = store::SpecialUse::none;
    const store::MailboxInfo* box = nullptr;
};

// Every name LIST may speak of: mailboxes, subscriptions, and their
// ancestors (which exist only as levels of the hierarchy).
std::map<std::string, Entry> collect(const std::vector<store::MailboxInfo>& boxes,
                                     const std::vector<std::string>& subscriptions,
                                     const std::vector<std::string>& patterns) {
    std::map<std::string, Entry> out;
    auto ancestors = [&](const std::string& name, auto mark) {
        for (size_t slash = name.find(kDelimiter); slash != std::string::npos; slash = name.find(kDelimiter, slash + 1))
            mark(out[name.substr(0, slash)]);
    };
    for (const auto& box : boxes) {
        Entry& e = out[box.name];
        e.exists = true;
        e.use = box.special_use;
        e.box = &box;
        ancestors(box.name, [](Entry& a) { a.has_children = true; });
    }
    for (const auto& name : subscriptions) {
        out[name].subscribed = true;
        bool unmatched = !matches_any(patterns, name);
        ancestors(name, [unmatched](Entry& a) {
            a.subscribed_child = true;
            a.unmatched_subscribed_child = a.unmatched_subscribed_child || unmatched;
        });
    }
    return out;
}

// Whether LIST reports `e` at all, by the selection options.
bool selected_by(const Entry& e, const ListOptions& o) {
    if (o.select_subscribed) {
        if (e.subscribed) return !o.select_special_use || e.use != store::SpecialUse::none;
        // RFC 5258 3.5: a parent is listed for a subscribed child only
        // when that child is not listed itself.
        return o.recursive && e.unmatched_subscribed_child;
    }
    if (o.select_special_use) return e.exists && e.use != store::SpecialUse::none;
    return e.exists || e.has_children;
}

std::string attributes(const Entry& e, const ListOptions& o) {
    std::vector<std::string> attrs;
    if (!e.exists) {
        // A level with children is only not selectable; a subscription to
        // nothing does not exist at all (RFC 5258 3.4).
        attrs.push_back(e.has_children ? "\\Noselect" : "\\NonExistent");
    }
    if (e.exists || e.has_children) attrs.push_back(e.has_children ? "\\HasChildren" : "\\HasNoChildren");
    if ((o.return_subscribed || o.select_subscribed) && e.subscribed) attrs.push_back("\\Subscribed");
    if (const char* use = special_use_attribute(e.use)) attrs.push_back(use);
    std::string joined;
    for (const auto& a : attrs) joined += (joined.empty() ? "" : " ") + a;
    return joined;
}

// The names to report, in the order clients show them.
std::vector<std::string> listed_names(const std::map<std::string, Entry>& entries,
                                      const std::vector<std::string>& patterns, bool (*keep)(const Entry&, const ListOptions&),
                                      const ListOptions& o) {
    std::vector<std::string> names;
    for (const auto& [name, e] : entries)
        if (keep(e, o) && matches_any(patterns, name)) names.push_back(name);
    std::sort(names.begin(), names.end(), list_order);
    return names;
}

// LSUB as RFC 3501 has it: subscribed names, and levels above them as \Noselect.
bool lsub_keeps(const Entry& e, const ListOptions&) { return e.subscribed || e.subscribed_child; }

}  // namespace

// The attributes are what the row says: the special use. Children are not
// known without reading every mailbox, and RFC 9051 6.3.2 asks only that
// what is given be accurate.
std::string Session::mailbox_list_line(const store::MailboxInfo& box) const {
    const char* use = special_use_attribute(box.special_use);
    return fmt::format("* LIST ({}) \"/\" {}\r\n", use ? use : "", wire_name(box.name));
}

void Session::cmd_list(const Command& cmd, bool lsub) {
    ListOptions o;
    std::string error;
    if (lsub) {
        if (cmd.args.size() != 2 || !cmd.args[0].astring() || !cmd.args[1].astring())
            return bad("LSUB needs a reference and a mailbox");
        o.reference = *cmd.args[0].astring();
        o.patterns.emplace_back(*cmd.args[1].astring());
    } else if (!parse_list(cmd.args, o, error)) {
        return bad(error);
    }
    const char* verb = lsub ? "LSUB" : "LIST";
    // Wildcards are plain ASCII, so decoding the whole pattern as a name works.
    auto decode = [&](const std::string& wire) {
        return wire.empty() ? std::optional<std::string>("") : mailbox_from_wire(wire, utf8_enabled_);
    };
    // A pattern that no name can have (not valid modified UTF-7) matches
    // nothing: the answer is OK with no names, as for any other pattern.
    auto reference = decode(o.reference);
    std::vector<std::string> patterns;
    bool unmatchable = false;
    for (const auto& p : o.patterns) {
        auto pattern = reference ? decode(p) : std::nullopt;
        if (!pattern) unmatchable = true;
        else if (!pattern->empty()) patterns.push_back(join_list_pattern(*reference, *pattern));
    }
    if (patterns.empty() && unmatchable) return ok(std::string(verb) + " completed");
    if (patterns.empty()) {
        // LIST "" "": the delimiter and the root (RFC 3501 6.3.8).
        send(fmt::format("* {} (\\Noselect) \"/\" \"\"\r\n", verb));
        return ok(std::string(verb) + " completed");
    }
    struct Lists {
        std::vector<store::MailboxInfo> boxes;
        std::vector<std::string> subscribed;
        std::map<int64_t, StatusCounts> counts;  // LIST-STATUS SIZE / DELETED
    };
    std::string user = user_;
    bool want_counts = o.status && status_needs_messages(*o.status);
    run_store<Lists>(
        [user, want_counts, patterns](store::Store& store) {
            Lists l;
            l.boxes = store::visible_mailboxes(store, user);  // with the list archives the user reads
            l.subscribed = store.subscriptions(user);
            if (want_counts)
                for (const auto& box : l.boxes) {
                    bool listed = std::any_of(patterns.begin(), patterns.end(),
                                              [&](const std::string& p) { return list_match(p, box.name); });
                    if (listed) l.counts[box.id] = count_status(store.list_messages(box.id), store.claim_recent(box.id, 0));
                }
            return l;
        },
        [o, patterns, lsub, verb](Session& self, Lists l, store::Error error) {
            if (!error.empty()) return self.no("Cannot list mailboxes", "SERVERBUG");
            auto entries = collect(l.boxes, l.subscribed, patterns);
            std::string out;
            for (const auto& name : listed_names(entries, patterns, lsub ? lsub_keeps : selected_by, o)) {
                const Entry& e = entries.at(name);
                if (lsub) {
                    const char* attrs = e.exists && e.subscribed ? "" : "\\Noselect";
                    out += fmt::format("* LSUB ({}) \"/\" {}\r\n", attrs, self.wire_name(name));
                    continue;
                }
                out += fmt::format("* LIST ({}) \"/\" {}", attributes(e, o), self.wire_name(name));
                // RFC 5258 3.5: why a name that is not subscribed itself is listed.
                if (o.recursive && o.select_subscribed && e.unmatched_subscribed_child)
                    out += " (\"CHILDINFO\" (\"SUBSCRIBED\"))";
                out += "\r\n";
                // LIST-STATUS: selectable mailboxes only (RFC 5819 section 2).
                if (o.status && e.box) {
                    auto c = l.counts.find(e.box->id);
                    out += self.status_response(*e.box, c == l.counts.end() ? StatusCounts{} : c->second, *o.status);
                }
            }
            self.send(out);
            self.ok(std::string(verb) + " completed");
        });
}

}  // namespace pochta::imap
