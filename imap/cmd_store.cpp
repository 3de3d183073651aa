// STORE / UID STORE, COPY / UID COPY (UIDPLUS COPYUID), MOVE / UID MOVE (RFC 6851).
#include <fmt/format.h>

#include "common/util/log.hpp"
#include "common/util/strings.hpp"
#include "imap/flags.hpp"
#include "imap/session.hpp"
#include "imap/store_outcome.hpp"

namespace pochta::imap {

std::string Session::fetch_flags_line(uint32_t seq) {
    const ViewMessage& m = selected_->view.at(seq);
    std::string items = "FLAGS " + flag_list(flag_names(m.info.flags, m.info.keywords, m.recent));
    if (uid_) items = fmt::format("UID {} {}", m.info.uid, items);
    return fmt::format("* {} FETCH ({})\r\n", seq, items);
}

void Session::cmd_store(const Command& cmd) {
    if (cmd.args.size() < 3 || !cmd.args[0].is_atom() || !cmd.args[1].is_atom())
        return bad(cmd.args.size() >= 2 && cmd.args[1].is_list() ? "UNCHANGEDSINCE needs CONDSTORE"
                                                                  : "STORE needs a set, an item and flags");
    auto set = SeqSet::parse(cmd.args[0].text);
    if (!set) return bad("Invalid sequence set");
    std::string item = to_lower(cmd.args[1].text);
    bool silent = item.size() > 7 && item.substr(item.size() - 7) == ".silent";
    if (silent) item.resize(item.size() - 7);
    store::FlagUpdate update;
    if (item == "flags") update.op = store::FlagOp::replace;
    else if (item == "+flags") update.op = store::FlagOp::add;
    else if (item == "-flags") update.op = store::FlagOp::remove;
    else return bad("Unknown STORE item");
    std::vector<Token> flag_tokens;
    if (cmd.args.size() == 3 && cmd.args[2].is_list()) flag_tokens = cmd.args[2].children;
    else flag_tokens.assign(cmd.args.begin() + 2, cmd.args.end());
    std::string error;
    auto flags = parse_flags(flag_tokens, error);
    if (!flags) return bad(error);
    if (selected_->read_only) return no("Mailbox is read-only", "READ-ONLY");
    auto seqs = selected_->view.resolve(*set, cmd.uid);
    if (!seqs) return bad("Invalid message sequence number");
    std::vector<uint32_t> targets;  // sequence numbers of messages that still exist
    for (uint32_t seq : *seqs) {
        if (selected_->view.at(seq).expunged) continue;
        targets.push_back(seq);
        update.uids.push_back(selected_->view.at(seq).info.uid);
    }
    if (targets.empty()) return ok("STORE completed");
    update.flags = flags->flags;
    update.keywords = std::move(flags->keywords);
    int64_t id = selected_->view.mailbox_id();
    run_store<store::FlagResult>(
        [id, update](store::Store& store) { return store.update_flags(id, update); },
        [id, silent, targets](Session& self, store::FlagResult result, std::string error) {
            if (!error.empty()) return self.no("STORE failed", "SERVERBUG");
            if (!self.selected_ || self.selected_->view.mailbox_id() != id) return self.ok("STORE completed");
            MailboxView& view = self.selected_->view;
            for (const auto& changed : result.changed) view.set_flags(changed);
            if (!silent) {
                std::string out;
                for (uint32_t seq : targets) out += self.fetch_flags_line(seq);
                self.send(out);
            }
            self.ok("STORE completed");
        });
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
        if (!selected_->view.at(seq).expunged) uids.push_back(selected_->view.at(seq).info.uid);
    struct Copied {
        bool found = false;
        Outcome outcome;
        store::CopyResult result;
    };
    int64_t from = selected_->view.mailbox_id();
    std::string user = user_, to = *target;
    run_store<Copied>(
        [user, to, from, uids, move](store::Store& store) {
            Copied c;
            auto box = store.find_mailbox(user, to);
            if (!box) return c;
            c.found = true;
            if (uids.empty()) return c;
            c.outcome = guarded([&] { c.result = store.copy_messages(from, uids, box->id, move); });
            return c;
        },
        [from, move](Session& self, Copied c, std::string error) {
            if (!error.empty() || !c.outcome.ok()) {
                log::warn("imap user={} copy failed: {}{}", self.user_, error, c.outcome.message);
                return self.no(move ? "MOVE failed" : "COPY failed", "SERVERBUG");
            }
            if (!c.found) return self.no("No such mailbox", "TRYCREATE");
            std::string code;
            if (!c.result.source_uids.empty())
                code = fmt::format("COPYUID {} {} {}", c.result.uidvalidity,
                                   SeqSet::from_numbers(c.result.source_uids).str(),
                                   SeqSet::from_numbers(c.result.dest_uids).str());
            if (!move) return self.ok("COPY completed", code);
            if (!code.empty()) self.send(fmt::format("* OK [{}] Moved\r\n", code));
            if (!self.selected_ || self.selected_->view.mailbox_id() != from) return self.ok("MOVE completed");
            self.finish_expunge(c.result.source_uids, {});
        });
}

}  // namespace pochta::imap
