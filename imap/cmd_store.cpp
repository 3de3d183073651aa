// STORE / UID STORE, COPY / UID COPY (UIDPLUS COPYUID), MOVE / UID MOVE (RFC 6851);
// moves into and out of Junk and the $Junk / $NotJunk keywords train the
// spam filter (README.md, "Spam").
#include <fmt/format.h>

#include <algorithm>

#include "common/util/log.hpp"
#include "common/util/strings.hpp"
#include "imap/flags.hpp"
#include "imap/session.hpp"
#include "imap/store_outcome.hpp"
#include "spam/training.hpp"
#include "store/list_archive.hpp"

namespace pochta::imap {

std::string Session::fetch_flags_line(uint32_t seq, const store::MessageInfo& info) {
    bool recent = selected_->view.is_recent(info.uid);
    std::string items = "FLAGS " + flag_list(flag_names(info.flags, info.keywords, recent));
    // RFC 7162 3.1 / 3.2: once CONDSTORE is on, every FETCH carries UID and MODSEQ.
    if (condstore_enabled_) items += fmt::format(" MODSEQ ({})", wire_modseq(info.modseq));
    if (uid_ || condstore_enabled_) items = fmt::format("UID {} {}", info.uid, items);
    return fmt::format("* {} FETCH ({})\r\n", seq, items);
}

namespace {

// "(UNCHANGEDSINCE n)" (RFC 7162 3.1.3); nullopt for anything else.
std::optional<uint64_t> parse_store_modifiers(const Token& list) {
    if (list.children.size() != 2 || !list.children[0].is_atom() || !list.children[1].is_atom() ||
        !iequals(list.children[0].text, "UNCHANGEDSINCE"))
        return std::nullopt;
    return parse_uint(list.children[1].text);
}

}  // namespace

void Session::cmd_store(const Command& cmd) {
    std::vector<Token> args = cmd.args;
    std::optional<uint64_t> unchanged_since;
    if (args.size() >= 2 && args[1].is_list()) {
        unchanged_since = parse_store_modifiers(args[1]);
        if (!unchanged_since) return bad("Invalid STORE modifier");
        args.erase(args.begin() + 1);
    }
    if (args.size() < 3 || !args[0].is_atom() || !args[1].is_atom())
        return bad("STORE needs a set, an item and flags");
    auto set = SeqSet::parse(args[0].text);
    if (!set) return bad("Invalid sequence set");
    std::string item = to_lower(args[1].text);
    bool silent = item.size() > 7 && item.substr(item.size() - 7) == ".silent";
    if (silent) item.resize(item.size() - 7);
    store::FlagUpdate update;
    if (item == "flags") update.op = store::FlagOp::replace;
    else if (item == "+flags") update.op = store::FlagOp::add;
    else if (item == "-flags") update.op = store::FlagOp::remove;
    else return bad("Unknown STORE item");
    std::vector<Token> flag_tokens;
    if (args.size() == 3 && args[2].is_list()) flag_tokens = args[2].children;
    else flag_tokens.assign(args.begin() + 2, args.end());
    std::string error;
    auto flags = parse_flags(flag_tokens, error);
    if (!flags) return bad(error);
    if (selected_->read_only) return no("Mailbox is read-only", "READ-ONLY");
    auto seqs = selected_->view.resolve(*set, cmd.uid);
    if (!seqs) return bad("Invalid message sequence number");
    if (unchanged_since) {
        enable_condstore();
        update.unchanged_since = stored_modseq(*unchanged_since);
    }
    const MailboxView& view = selected_->view;
    std::vector<uint32_t> targets;  // sequence numbers of messages that still exist
    std::vector<uint32_t> zero_refused;
    for (uint32_t seq : *seqs) {
        uint32_t uid = view.uid_at(seq);
        if (view.is_expunged(uid)) continue;
        // UNCHANGEDSINCE 0 fails for every message (RFC 7162 3.1.3).
        if (unchanged_since && *unchanged_since == 0) {
            zero_refused.push_back(cmd.uid ? uid : seq);
            continue;
        }
        targets.push_back(seq);
        update.uids.push_back(uid);
    }
    if (targets.empty()) {
        if (zero_refused.empty()) return ok("STORE completed");
        return ok("Conditional STORE failed", "MODIFIED " + SeqSet::from_numbers(zero_refused).str());
    }
    update.flags = flags->flags;
    update.keywords = std::move(flags->keywords);
    int64_t id = selected_->view.mailbox_id();
    run_store<StoreOutcome>(
        [id, update, silent, user = user_](store::Store& store) {
            StoreOutcome out;
            out.result = store.update_flags(id, update);
            spam::learn_from_keywords(store, user, id, update, out.result);  // README.md, "Spam"
            // Without .SILENT every message gets its flags, changed or not:
            // read them back (the view keeps no flags).
            if (!silent) out.rows = store.message_rows(id, update.uids, {});
            return out;
        },
        [id, targets](Session& self, StoreOutcome outcome, store::Error error) {
            if (error) return self.no(refusal_text("STORE failed", error), response_code(error.kind));
            if (!self.selected_ || self.selected_->view.mailbox_id() != id) return self.ok("STORE completed");
            self.finish_store(targets, outcome);
        });
}

// The FETCH responses of a STORE and its MODIFIED code. Messages refused
// by UNCHANGEDSINCE get no FETCH here (their new flags come as an
// unsolicited update once the view catches up); with CONDSTORE even .SILENT
// reports the new MODSEQ of what changed (RFC 7162 3.1.3).
void Session::finish_store(const std::vector<uint32_t>& targets, const StoreOutcome& outcome) {
    MailboxView& view = selected_->view;
    const store::FlagResult& result = outcome.result;
    for (const auto& changed : result.changed) view.set_flags(changed);
    auto find = [](const std::vector<store::MessageInfo>& list, uint32_t uid) -> const store::MessageInfo* {
        auto it = std::lower_bound(list.begin(), list.end(), uid,
                                   [](const store::MessageInfo& m, uint32_t u) { return m.uid < u; });
        return it != list.end() && it->uid == uid ? &*it : nullptr;
    };
    std::vector<store::MessageInfo> rows;
    for (const auto& row : outcome.rows) rows.push_back(row.info);
    std::vector<store::MessageInfo> changed = result.changed;
    std::sort(changed.begin(), changed.end(), [](const auto& a, const auto& b) { return a.uid < b.uid; });
    std::vector<uint32_t> modified;
    std::string out = flags_lines(false);
    for (uint32_t seq : targets) {
        uint32_t uid = view.uid_at(seq);
        bool refused = std::find(result.modified.begin(), result.modified.end(), uid) != result.modified.end();
        if (refused) {
            modified.push_back(uid_ ? uid : seq);
            continue;
        }
        if (const store::MessageInfo* row = find(rows, uid)) {
            out += fetch_flags_line(seq, *row);
        } else if (const store::MessageInfo* c = find(changed, uid); c && condstore_enabled_) {
            out += fmt::format("* {} FETCH (UID {} MODSEQ ({}))\r\n", seq, uid, wire_modseq(c->modseq));
        }
    }
    send(out);
    if (modified.empty()) return ok("STORE completed");
    ok("Conditional STORE failed", "MODIFIED " + SeqSet::from_numbers(modified).str());
}

void Session::cmd_copy(const Command& cmd, bool move) {
    if (cmd.args.size() != 2 || !cmd.args[0].is_atom()) return bad("Sequence set and mailbox expected");
    auto set = SeqSet::parse(cmd.args[0].text);
    if (!set) return bad("Invalid sequence set");
    auto target = name_arg(cmd.args[1]);
    if (!target) return bad("Invalid mailbox name");
    if (move && selected_->read_only) return no("Mailbox is read-only", "READ-ONLY");
    auto seqs = selected_->view.resolve(*set, cmd.uid);
    if (!seqs) return bad("Invalid message sequence number");
    std::vector<uint32_t> uids;
    for (uint32_t seq : *seqs)
        if (uint32_t uid = selected_->view.uid_at(seq); !selected_->view.is_expunged(uid)) uids.push_back(uid);
    struct Copied {
        bool found = false;
        int64_t target_id = 0;
        store::CopyResult result;
    };
    int64_t from = selected_->view.mailbox_id();
    std::string user = user_, to = *target;
    run_store<Copied>(
        [user, to, from, uids, move](store::Store& store) {
            Copied c;
            store::refuse_archive_write(store, user, to);
            auto box = store.find_mailbox(user, to);
            if (!box) return c;
            c.found = true;
            c.target_id = box->id;
            if (uids.empty()) return c;
            c.result = store.copy_messages(from, uids, box->id, move);
            spam::learn_from_copy(store, user, from, *box, c.result.dest_uids);  // README.md, "Spam"
            return c;
        },
        [from, move](Session& self, Copied c, store::Error error) {
            if (error) {
                log::warn("imap user={} copy failed: {}", self.user_, error);
                return self.no(refusal_text(move ? "MOVE failed" : "COPY failed", error), response_code(error.kind));
            }
            if (!c.found) return self.no("No such mailbox", "TRYCREATE");
            std::string code;
            if (!c.result.source_uids.empty())
                code = fmt::format("COPYUID {} {} {}", c.result.uidvalidity,
                                   SeqSet::from_numbers(c.result.source_uids).str(),
                                   SeqSet::from_numbers(c.result.dest_uids).str());
            // Into the selected mailbox: its new EXISTS goes out before the
            // tagged OK (RFC 3501 5.2), as for APPEND.
            bool into_selected = self.selected_ && self.selected_->view.mailbox_id() == c.target_id &&
                                 !c.result.dest_uids.empty();
            auto finish = [move, from, code, source = c.result.source_uids](Session& s) {
                if (!move) return s.ok("COPY completed", code);
                if (!code.empty()) s.send(fmt::format("* OK [{}] Moved\r\n", code));
                if (!s.selected_ || s.selected_->view.mailbox_id() != from) return s.ok("MOVE completed");
                s.finish_expunge(source, {});
            };
            if (!into_selected) return finish(self);
            self.refresh([&self, finish] { finish(self); });
        });
}

}  // namespace pochta::imap
