// The commands of a Sieve run: control, actions and the extensions'
// commands (README.md "Sieve"). Tests are in run_tests.cpp.
#include <algorithm>

#include "common/util/strings.hpp"
#include "sieve/address_parts.hpp"
#include "sieve/run.hpp"

namespace pochta::sieve {

namespace {

constexpr uint64_t default_vacation_days = 7;
constexpr std::string_view protected_fields[] = {"received", "auto-submitted"};

// RFC 5228 4.1: INBOX is the same mailbox whatever its case.
std::string mailbox_name(std::string name) {
    if (iequals(name, "INBOX")) return "INBOX";
    return name;
}

std::string target_of(const Action& action) {
    if (std::holds_alternative<Keep>(action)) return "INBOX";
    if (const auto* f = std::get_if<FileInto>(&action)) return f->mailbox;
    return {};
}

std::vector<std::string>* flags_of(Action& action) {
    if (auto* k = std::get_if<Keep>(&action)) return &k->flags;
    if (auto* f = std::get_if<FileInto>(&action)) return &f->flags;
    return nullptr;
}

bool valid_field_name(std::string_view name) {
    if (name.empty() || name.size() > 997) return false;
    for (char c : name)
        if (c <= ' ' || c >= 127 || c == ':') return false;
    return true;
}

bool is_protected(std::string_view name) {
    return std::any_of(std::begin(protected_fields), std::end(protected_fields),
                       [&](std::string_view p) { return iequals(p, name); });
}

}  // namespace

Flow Run::commands(Frame& frame, const std::vector<Node>& nodes) {
    bool branch_taken = false;  // in an if/elsif/else chain
    for (const Node& node : nodes) {
        step(node);
        Flow flow = Flow::next;
        switch (node.op) {
            case Op::if_:
                branch_taken = test(frame, node.tests[0]);
                if (branch_taken) flow = commands(frame, node.block);
                break;
            case Op::elsif:
                if (!branch_taken) {
                    branch_taken = test(frame, node.tests[0]);
                    if (branch_taken) flow = commands(frame, node.block);
                }
                break;
            case Op::else_:
                if (!branch_taken) flow = commands(frame, node.block);
                break;
            default:
                flow = command(frame, node);
                break;
        }
        if (flow != Flow::next) return flow;
    }
    return Flow::next;
}

Flow Run::command(Frame& frame, const Node& node) {
    switch (node.op) {
        case Op::require: break;
        case Op::stop: return Flow::stop;
        case Op::return_: return Flow::return_;
        case Op::keep: keep(frame, node); break;
        case Op::discard:
            implicit_keep_ = false;
            add_action(node, Discard{});
            break;
        case Op::fileinto: fileinto(frame, node); break;
        case Op::redirect: redirect(frame, node); break;
        case Op::reject:
        case Op::ereject: reject(frame, node); break;
        case Op::vacation: vacation(frame, node); break;
        case Op::setflag:
        case Op::addflag:
        case Op::removeflag: flags_command(frame, node); break;
        case Op::set: set(frame, node); break;
        case Op::addheader: addheader(frame, node); break;
        case Op::deleteheader: deleteheader(frame, node); break;
        case Op::include: return include(frame, node);
        case Op::global:
            for (const std::string& name : node.positional[0].strings) frame.variables.declare_global(to_lower(name));
            break;
        case Op::error: error(node, expand(frame, node.positional[0].strings[0]));
        default: error(node, "'" + node.name + "' cannot run here");
    }
    return Flow::next;
}

// RFC 5232 section 5: without :flags, keep and fileinto take the internal
// variable's flags, when the script uses imap4flags.
std::vector<std::string> Run::current_flags(Frame& frame, const Node& node) {
    if (const Tagged* flags = node.tag("flags")) return flag_words(expand_all(frame, flags->value));
    if (frame.script.has_extension("imap4flags")) return flags_;
    return {};
}

void Run::keep(Frame& frame, const Node& node) { store(frame, node, Keep{current_flags(frame, node), false}); }

void Run::fileinto(Frame& frame, const Node& node) {
    FileInto action;
    action.mailbox = mailbox_name(expand(frame, node.positional[0].strings[0]));
    action.flags = current_flags(frame, node);
    action.create = node.tag("create") != nullptr;
    action.copy = node.tag("copy") != nullptr;
    if (!action.copy) implicit_keep_ = false;
    store(frame, node, std::move(action));
}

// RFC 5228 4.2 / 2.10.3: filing twice into one mailbox files once; the
// flags of both are kept.
void Run::store(Frame&, const Node& node, Action action) {
    std::string target = target_of(action);
    for (Action& earlier : result_.actions) {
        if (target_of(earlier) != target) continue;
        std::vector<std::string>* flags = flags_of(earlier);
        std::vector<std::string> merged = *flags;
        merged.insert(merged.end(), flags_of(action)->begin(), flags_of(action)->end());
        *flags = flag_words(merged);
        if (auto* f = std::get_if<FileInto>(&earlier)) {
            const auto* g = std::get_if<FileInto>(&action);
            f->create = f->create || (g && g->create);
            f->copy = f->copy && (!g || g->copy);
        }
        return;
    }
    add_action(node, std::move(action));
}

void Run::redirect(Frame& frame, const Node& node) {
    Redirect action;
    action.address = expand(frame, node.positional[0].strings[0]);
    if (!valid_address(action.address)) error(node, "invalid redirect address " + action.address);
    action.copy = node.tag("copy") != nullptr;
    if (!action.copy) implicit_keep_ = false;
    for (const Action& earlier : result_.actions) {
        const auto* r = std::get_if<Redirect>(&earlier);
        if (r && iequals(r->address, action.address)) return;  // RFC 5228 4.2: once per address
    }
    if (++redirects_ > budget_.max_redirects) error(node, "too many redirects");
    add_action(node, std::move(action));
}

void Run::reject(Frame& frame, const Node& node) {
    Reject action{expand(frame, node.positional[0].strings[0]), node.op == Op::ereject};
    implicit_keep_ = false;
    add_action(node, std::move(action));
}

void Run::vacation(Frame& frame, const Node& node) {
    Vacation action;
    action.reason = expand(frame, node.positional[0].strings[0]);
    if (const Tagged* t = node.tag("subject")) action.subject = expand(frame, t->value.strings[0]);
    if (const Tagged* t = node.tag("from")) action.from = expand(frame, t->value.strings[0]);
    if (const Tagged* t = node.tag("addresses")) action.addresses = expand_all(frame, t->value);
    action.mime = node.tag("mime") != nullptr;
    if (const Tagged* t = node.tag("seconds")) action.seconds = t->value.number;
    else if (const Tagged* d = node.tag("days")) action.seconds = d->value.number * 86400;
    else action.seconds = default_vacation_days * 86400;
    if (const Tagged* t = node.tag("handle"))
        action.handle = expand(frame, t->value.strings[0]);
    else  // RFC 5230 4.2: made of what the reply says
        action.handle = action.reason + "\x1f" + action.subject + "\x1f" + action.from + (action.mime ? "\x1fmime" : "");
    add_action(node, std::move(action));
}

// RFC 5229 4: `set`, after the expansion, the modifiers and the size check.
void Run::set(Frame& frame, const Node& node) {
    std::string value = apply_modifiers(node, expand(frame, node.positional[1].strings[0]));
    if (value.size() > budget_.max_string) throw RunFailure{Status::budget, node.position, "variable value too large"};
    frame.variables.set(to_lower(node.positional[0].strings[0]), std::move(value));
    check_memory(node);
}

// RFC 5232 section 4: setflag, addflag and removeflag, on the internal
// variable or on a named one.
void Run::flags_command(Frame& frame, const Node& node) {
    bool named = node.positional.size() == 2;
    std::string name = named ? to_lower(node.positional[0].strings[0]) : std::string();
    std::vector<std::string> current = named ? flag_words({std::string(frame.variables.get(name))}) : flags_;
    std::vector<std::string> given = flag_words(expand_all(frame, node.positional.back()));
    if (node.op == Op::setflag) {
        current = given;
    } else if (node.op == Op::addflag) {
        current.insert(current.end(), given.begin(), given.end());
        current = flag_words(current);
    } else {
        std::erase_if(current, [&](const std::string& flag) {
            return std::any_of(given.begin(), given.end(), [&](const std::string& g) { return iequals(g, flag); });
        });
    }
    if (named) {
        frame.variables.set(name, join_flags(current));
        check_memory(node);
    } else {
        flags_ = std::move(current);
    }
}

std::vector<HeaderField>& Run::edit_header() {
    if (!edited_) {
        edited_header_ = message_.header();
        edited_ = true;
    }
    return edited_header_;
}

// RFC 5293 section 4: at the top, or with :last at the end.
void Run::addheader(Frame& frame, const Node& node) {
    std::string name = expand(frame, node.positional[0].strings[0]);
    std::string value = expand(frame, node.positional[1].strings[0]);
    if (!valid_field_name(name)) error(node, "invalid header field name " + name);
    if (is_protected(name)) {
        result_.notes.push_back("addheader " + name + ": protected field, left alone");
        return;
    }
    for (char& c : value)
        if (c == '\r' || c == '\n') c = ' ';
    HeaderField field;
    field.name = name;
    field.value = std::string(trim(value));
    field.raw = name + ": " + field.value + "\r\n";
    auto& fields = edit_header();
    if (node.tag("last"))
        fields.push_back(std::move(field));
    else
        fields.insert(fields.begin(), std::move(field));
    check_memory(node);
}

// RFC 5293 section 5: the fields of that name (the :index'th only, counted
// from the end with :last), and of those the ones a value pattern matches.
void Run::deleteheader(Frame& frame, const Node& node) {
    std::string name = expand(frame, node.positional[0].strings[0]);
    if (is_protected(name)) {
        result_.notes.push_back("deleteheader " + name + ": protected field, left alone");
        return;
    }
    std::vector<size_t> doomed;
    for (size_t i : fields(node, name)) {
        if (node.positional.size() < 2 || match(frame, node, std::vector<std::string_view>{header()[i].decoded()})) doomed.push_back(i);
    }
    if (doomed.empty()) return;
    std::vector<HeaderField>& edited = edit_header();
    for (auto it = doomed.rbegin(); it != doomed.rend(); ++it) edited.erase(edited.begin() + static_cast<long>(*it));
}

// RFC 6609 section 3.2: the named script runs with its own variables
// (sharing the globals) and may `return`; `stop` ends everything.
Flow Run::include(Frame&, const Node& node) {
    IncludeLocation location = node.tag("global") ? IncludeLocation::global : IncludeLocation::personal;
    std::string name = node.positional[0].strings[0];
    if (node.tag("once") && !included_once_.emplace(location, name).second) return Flow::next;
    if (++includes_ > budget_.max_includes) throw RunFailure{Status::budget, node.position, "too many includes"};
    if (frames_.size() > budget_.max_include_depth)
        throw RunFailure{Status::budget, node.position, "includes nested too deep"};
    std::shared_ptr<const Script> script = context_.include ? context_.include(location, name) : nullptr;
    if (!script) {
        if (node.tag("optional")) return Flow::next;
        error(node, "included script " + name + " not found");
    }
    for (const Frame* running : frames_)
        if (&running->script == script.get())
            throw RunFailure{Status::budget, node.position, "include loop through " + name};
    Frame inner{*script, Variables(globals_)};
    frames_.push_back(&inner);
    Flow flow = commands(inner, script->commands);
    frames_.pop_back();
    return flow == Flow::stop ? Flow::stop : Flow::next;
}

void Run::add_action(const Node& node, Action action) {
    if (result_.actions.size() >= budget_.max_actions) throw RunFailure{Status::budget, node.position, "too many actions"};
    bool rejecting = std::holds_alternative<Reject>(action);
    bool delivering = !target_of(action).empty() || std::holds_alternative<Redirect>(action);
    bool replying = std::holds_alternative<Vacation>(action);
    for (const Action& earlier : result_.actions) {
        // RFC 5429 2.1 and RFC 5230 4.7: a refused message is neither
        // delivered nor answered; one reject, one vacation per run.
        bool earlier_rejects = std::holds_alternative<Reject>(earlier);
        bool earlier_delivers = !target_of(earlier).empty() || std::holds_alternative<Redirect>(earlier);
        bool earlier_replies = std::holds_alternative<Vacation>(earlier);
        if ((rejecting && (earlier_rejects || earlier_delivers || earlier_replies)) ||
            (earlier_rejects && (delivering || replying)))
            error(node, "reject conflicts with an earlier action");
        if (replying && earlier_replies) error(node, "a second vacation");
    }
    action_bytes_ += describe(action).size();
    result_.actions.push_back(std::move(action));
    check_memory(node);
}

}  // namespace pochta::sieve
