// SELECT, EXAMINE, CLOSE, UNSELECT, EXPUNGE and UID EXPUNGE (UIDPLUS).
#include <fmt/format.h>

#include "common/util/log.hpp"
#include "imap/flags.hpp"
#include "imap/session.hpp"

namespace pochta::imap {

void Session::cmd_select(const Command& cmd, bool read_only) {
    if (cmd.args.size() != 1) return bad("Mailbox name expected");
    auto name = name_arg(cmd.args[0]);
    if (!name) return bad("Invalid mailbox name");
    // A failed SELECT leaves no mailbox selected (RFC 3501 6.3.1).
    selected_.reset();
    dirty_ = false;
    state_ = State::authenticated;
    struct Loaded {
        std::optional<store::MailboxInfo> box;
        std::vector<store::MessageInfo> messages;
        uint32_t first_recent = 0;
    };
    std::string user = user_, n = *name;
    run_store<Loaded>(
        [user, n, read_only](store::Store& store) {
            Loaded l;
            l.box = store.find_mailbox(user, n);
            if (!l.box) return l;
            // Claim, then read the box and its messages: mail that arrives in
            // between is listed and also above the claimed floor, so it is
            // \Recent here; mail after the read comes with the next refresh.
            if (!read_only) {
                l.first_recent = store.claim_recent(l.box->id);
                l.box = store.find_mailbox(user, n);
            }
            if (!l.box) return l;
            l.messages = store.list_messages(l.box->id);
            return l;
        },
        [read_only](Session& self, Loaded l, std::string error) {
            if (!error.empty()) {
                log::warn("imap user={} select failed: {}", self.user_, error);
                return self.no("Cannot open the mailbox", "SERVERBUG");
            }
            if (!l.box) return self.no("No such mailbox", "NONEXISTENT");
            Selected sel;
            sel.name = l.box->name;
            sel.read_only = read_only;
            sel.view.load(*l.box, std::move(l.messages), l.first_recent);
            const MailboxView& v = sel.view;
            std::string out = fmt::format("* FLAGS {}\r\n", kSystemFlags);
            out += fmt::format("* OK [PERMANENTFLAGS {}] Limited\r\n", read_only ? "()" : kPermanentFlags);
            out += fmt::format("* {} EXISTS\r\n* {} RECENT\r\n", v.exists(), v.recent_count());
            if (uint32_t unseen = v.first_unseen()) out += fmt::format("* OK [UNSEEN {}] First unseen\r\n", unseen);
            out += fmt::format("* OK [UIDVALIDITY {}] UIDs valid\r\n", v.uidvalidity());
            out += fmt::format("* OK [UIDNEXT {}] Predicted next UID\r\n", v.uidnext());
            self.send(out);
            self.selected_ = std::move(sel);
            self.state_ = State::selected;
            self.ok(read_only ? "EXAMINE completed" : "SELECT completed", read_only ? "READ-ONLY" : "READ-WRITE");
        });
}

void Session::cmd_close(bool expunge) {
    bool silent_expunge = expunge && !selected_->read_only;
    int64_t id = selected_->view.mailbox_id();
    std::vector<uint32_t> deleted;
    for (uint32_t seq = 1; seq <= selected_->view.exists(); seq++) {
        const auto& m = selected_->view.at(seq);
        if (!m.expunged && (m.info.flags & store::flag_deleted)) deleted.push_back(m.info.uid);
    }
    // No untagged responses after CLOSE/UNSELECT: forget the view first.
    selected_.reset();
    state_ = State::authenticated;
    dirty_ = false;
    if (!silent_expunge || deleted.empty()) return ok(expunge ? "CLOSE completed" : "UNSELECT completed");
    run_store<std::vector<uint32_t>>(
        [id, deleted](store::Store& store) { return store.expunge(id, deleted, true); },
        [](Session& self, std::vector<uint32_t>, std::string error) {
            if (!error.empty()) log::warn("imap user={} expunge on CLOSE failed: {}", self.user_, error);
            self.ok("CLOSE completed");
        });
}

void Session::cmd_expunge(const Command& cmd) {
    if (selected_->read_only) return no("Mailbox is read-only", "READ-ONLY");
    std::optional<std::vector<uint32_t>> seqs;
    if (cmd.uid) {
        if (cmd.args.size() != 1 || !cmd.args[0].is_atom()) return bad("UID EXPUNGE needs a UID set");
        auto set = SeqSet::parse(cmd.args[0].text);
        if (!set) return bad("Invalid UID set");
        seqs = selected_->view.resolve(*set, true);
    } else {
        if (!cmd.args.empty()) return bad("EXPUNGE takes no arguments");
        seqs.emplace();
        for (uint32_t seq = 1; seq <= selected_->view.exists(); seq++) seqs->push_back(seq);
    }
    std::vector<uint32_t> uids;
    for (uint32_t seq : *seqs) {
        const auto& m = selected_->view.at(seq);
        if (!m.expunged && (m.info.flags & store::flag_deleted)) uids.push_back(m.info.uid);
    }
    if (uids.empty()) return ok("EXPUNGE completed");
    int64_t id = selected_->view.mailbox_id();
    run_store<std::vector<uint32_t>>(
        [id, uids](store::Store& store) { return store.expunge(id, uids, true); },
        [id](Session& self, std::vector<uint32_t> removed, std::string error) {
            if (!error.empty()) return self.no("Expunge failed", "SERVERBUG");
            if (!self.selected_ || self.selected_->view.mailbox_id() != id) return self.ok("EXPUNGE completed");
            self.finish_expunge(removed, {});
        });
}

// Announces this session's own expunges at once (they are allowed here),
// then completes the command.
void Session::finish_expunge(const std::vector<uint32_t>& removed, std::string_view code) {
    std::string out;
    for (uint32_t seq : selected_->view.remove(removed)) out += fmt::format("* {} EXPUNGE\r\n", seq);
    send(out);
    ok(name_ + " completed", code);
}

}  // namespace pochta::imap
