// SELECT, EXAMINE, CLOSE, UNSELECT, EXPUNGE and UID EXPUNGE (UIDPLUS).
#include <fmt/format.h>

#include "common/util/log.hpp"
#include "common/util/strings.hpp"
#include "imap/flags.hpp"
#include "imap/session.hpp"
#include "store/list_archive.hpp"

namespace pochta::imap {

// SELECT's QRESYNC parameter (RFC 7162 3.2.5): what the client knew.
struct Qresync {
    uint32_t uidvalidity = 0;
    uint64_t modseq = 0;              // wire value
    std::optional<SeqSet> known_uids;
};

namespace {

struct SelectParams {
    bool condstore = false;
    std::optional<Qresync> qresync;
};

std::optional<uint64_t> number(const Token& t) { return t.is_atom() ? parse_uint(t.text) : std::nullopt; }

// "(CONDSTORE)" / "(QRESYNC (uidvalidity modseq [known-uids [(seqs uids)]]))".
// The sequence-match data is accepted and not needed: the store keeps
// every expunged UID, so the answer is exact without it.
bool parse_select_params(const Token& list, SelectParams& out, std::string& error) {
    const auto& items = list.children;
    for (size_t i = 0; i < items.size(); i++) {
        if (!items[i].is_atom()) return (error = "Invalid SELECT parameter", false);
        std::string name = to_lower(items[i].text);
        if (name == "condstore") {
            out.condstore = true;
            continue;
        }
        if (name != "qresync" || i + 1 >= items.size() || !items[i + 1].is_list())
            return (error = "Unknown SELECT parameter", false);
        const auto& q = items[++i].children;
        if (q.size() < 2 || q.size() > 4) return (error = "Invalid QRESYNC parameter", false);
        auto uidvalidity = number(q[0]);
        auto modseq = number(q[1]);
        if (!uidvalidity || !modseq || *uidvalidity == 0 || *uidvalidity > UINT32_MAX)
            return (error = "Invalid QRESYNC parameter", false);
        Qresync r{static_cast<uint32_t>(*uidvalidity), *modseq, std::nullopt};
        size_t next = 2;
        if (q.size() > next && q[next].is_atom()) {
            r.known_uids = SeqSet::parse(q[next].text);
            if (!r.known_uids) return (error = "Invalid known UIDs", false);
            next++;
        }
        if (q.size() > next) {
            const Token& match = q[next];
            if (!match.is_list() || match.children.size() != 2 || !match.children[0].is_atom() ||
                !match.children[1].is_atom() || !SeqSet::parse(match.children[0].text) ||
                !SeqSet::parse(match.children[1].text))
                return (error = "Invalid QRESYNC sequence match data", false);
            next++;
        }
        if (next != q.size()) return (error = "Invalid QRESYNC parameter", false);
        out.qresync = r;
    }
    return true;
}

}  // namespace

void Session::cmd_select(const Command& cmd, bool read_only) {
    if (cmd.args.empty() || cmd.args.size() > 2 || (cmd.args.size() == 2 && !cmd.args[1].is_list()))
        return bad("Mailbox name expected");
    auto name = name_arg(cmd.args[0]);
    // A valid string that cannot be a name (bad modified UTF-7) names no mailbox.
    if (!name && cmd.args[0].astring()) return no("No such mailbox", "NONEXISTENT");
    if (!name) return bad("Invalid mailbox name");
    SelectParams params;
    std::string error;
    if (cmd.args.size() == 2 && !parse_select_params(cmd.args[1], params, error)) return bad(error);
    if (params.qresync && !qresync_enabled_) return bad("QRESYNC must be enabled first");
    // A failed SELECT leaves no mailbox selected (RFC 3501 6.3.1); the
    // client hears of the implicit close before anything of the new one.
    if (selected_) send("* OK [CLOSED] Previous mailbox closed\r\n");
    selected_.reset();
    dirty_ = false;
    state_ = State::authenticated;
    if (params.condstore) condstore_enabled_ = true;
    struct Loaded {
        std::optional<store::MailboxSnapshot> snapshot;
        std::string archive_owner;                   // a list archive's store user: read-only
        uint32_t first_recent = 0;
        std::vector<uint32_t> vanished;              // QRESYNC: expunged since the client's MODSEQ
        bool pruned = false;                         // ... but tombstones that old are gone
        std::vector<store::MessageInfo> changed;     // QRESYNC: changed since the client's MODSEQ
    };
    std::string user = user_, n = *name;
    auto qresync = params.qresync;
    run_store<Loaded>(
        [user, n, read_only, rev2 = imap4rev2_, qresync](store::Store& store) {
            Loaded l;
            const store::MailboxPlace place = store::place_of(store, user, n);
            l.snapshot = store.mailbox_snapshot(place.owner, place.name);
            if (!l.snapshot) return l;
            l.snapshot->box.name = n;
            if (place.archive) l.archive_owner = place.owner;
            const store::MailboxInfo* box = &l.snapshot->box;
            // What this session has read is \Recent here if no one claimed it;
            // EXAMINE shows what is unclaimed without claiming it (below 0).
            // rev2 has no \Recent at all (RFC 9051 appendix E).
            if (!rev2) l.first_recent = store.claim_recent(box->id, read_only ? 0 : box->uidnext);
            if (qresync && qresync->uidvalidity == l.snapshot->box.uidvalidity) {
                uint64_t since = stored_modseq(qresync->modseq);
                l.pruned = since < box->expunge_horizon;
                if (!l.pruned) l.vanished = store.expunged_since(box->id, since);
                // MODSEQ 0 from the client: it knows nothing, every flag goes out.
                l.changed = qresync->modseq == 0 ? store.list_messages(box->id) : store.changed_since(box->id, since);
            }
            return l;
        },
        [read_only, qresync](Session& self, Loaded l, store::Error error) {
            if (!error.empty()) {
                log::warn("imap user={} select failed: {}", self.user_, error);
                return self.no("Cannot open the mailbox", "SERVERBUG");
            }
            if (!l.snapshot) return self.no("No such mailbox", "NONEXISTENT");
            const store::MailboxInfo& box = l.snapshot->box;
            // A list archive opens read-only (README.md, "Mailing lists": The archive).
            const bool shown_read_only = read_only || !l.archive_owner.empty();
            self.watch_archive(l.archive_owner);
            Selected sel;
            sel.name = box.name;
            sel.owner = l.archive_owner.empty() ? self.user_ : l.archive_owner;
            sel.read_only = shown_read_only;
            sel.view.load(*l.snapshot, l.first_recent);
            self.selected_ = std::move(sel);
            const MailboxView& v = self.selected_->view;
            std::string out = self.flags_lines(true);
            out += fmt::format("* {} EXISTS\r\n", v.exists());
            if (self.imap4rev2_) out += self.mailbox_list_line(box);  // RFC 9051 6.3.2: LIST, no RECENT/UNSEEN
            else out += fmt::format("* {} RECENT\r\n", v.recent_count());
            uint32_t unseen = l.snapshot->first_unseen_uid;
            if (unseen && !self.imap4rev2_)
                out += fmt::format("* OK [UNSEEN {}] First unseen\r\n", *v.seq_of(unseen));
            out += fmt::format("* OK [UIDVALIDITY {}] UIDs valid\r\n", v.uidvalidity());
            out += fmt::format("* OK [UIDNEXT {}] Predicted next UID\r\n", v.uidnext());
            out += fmt::format("* OK [HIGHESTMODSEQ {}] Highest\r\n", wire_modseq(v.modseq()));
            out += fmt::format("* OK [MAILBOXID (F{})] Ok\r\n", box.id);  // RFC 8474 4.3
            self.send(out);
            self.state_ = State::selected;
            if (qresync && qresync->uidvalidity == v.uidvalidity())
                self.send_qresync(*qresync, l.pruned, l.vanished, l.changed);
            self.ok(read_only ? "EXAMINE completed" : "SELECT completed", shown_read_only ? "READ-ONLY" : "READ-WRITE");
        });
}

// What changed since the client's last visit: the UIDs expunged since its
// MODSEQ, then the flags of every message changed since (both limited to
// the UIDs it says it knows).
void Session::send_qresync(const Qresync& q, bool pruned, const std::vector<uint32_t>& expunged,
                           const std::vector<store::MessageInfo>& changed) {
    const MailboxView& v = selected_->view;
    uint32_t max = std::max(v.uidnext(), v.max_uid() + 1);
    auto known = [&](uint32_t uid) { return !q.known_uids || q.known_uids->contains(uid, max); };
    SeqSet vanished;
    if (pruned) {
        // Conservative: every UID the client may know of that is not here now.
        SeqSet all;
        all.add(1, max - 1);
        vanished = absent_uids(q.known_uids ? *q.known_uids : all, max - 1, v.live_uids());
    } else {
        std::vector<uint32_t> known_gone;
        for (uint32_t uid : expunged)
            if (known(uid)) known_gone.push_back(uid);
        vanished = SeqSet::from_numbers(std::move(known_gone));
    }
    std::string out;
    if (!vanished.empty()) out += fmt::format("* VANISHED (EARLIER) {}\r\n", vanished.str());
    for (const auto& m : changed) {
        auto seq = v.seq_of(m.uid);
        if (seq && known(m.uid)) out += fetch_flags_line(*seq, m);
    }
    send(out);
}

void Session::cmd_close(bool expunge) {
    bool silent_expunge = expunge && !selected_->read_only;
    int64_t id = selected_->view.mailbox_id();
    std::vector<uint32_t> deleted = selected_->view.live_uids();  // the store keeps those with \Deleted
    // No untagged responses after CLOSE/UNSELECT: forget the view first.
    selected_.reset();
    state_ = State::authenticated;
    dirty_ = false;
    if (!silent_expunge || deleted.empty()) return ok(expunge ? "CLOSE completed" : "UNSELECT completed");
    run_store<std::vector<uint32_t>>(
        [id, deleted](store::Store& store) { return store.expunge(id, deleted, true); },
        [](Session& self, std::vector<uint32_t>, store::Error error) {
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
    // The store removes only those of them with \Deleted.
    std::vector<uint32_t> uids;
    for (uint32_t seq : *seqs)
        if (uint32_t uid = selected_->view.uid_at(seq); !selected_->view.is_expunged(uid)) uids.push_back(uid);
    if (uids.empty()) return ok("EXPUNGE completed");
    int64_t id = selected_->view.mailbox_id();
    run_store<std::vector<uint32_t>>(
        [id, uids](store::Store& store) { return store.expunge(id, uids, true); },
        [id](Session& self, std::vector<uint32_t> removed, store::Error error) {
            if (!error.empty()) return self.no("Expunge failed", "SERVERBUG");
            if (!self.selected_ || self.selected_->view.mailbox_id() != id) return self.ok("EXPUNGE completed");
            self.finish_expunge(removed, {});
        });
}

// Announces this session's own expunges at once (they are allowed here),
// then completes the command.
void Session::finish_expunge(const std::vector<uint32_t>& removed, std::string_view code) {
    send_announcements(selected_->view.remove(removed));
    if (!condstore_enabled_ || !code.empty()) return ok(name_ + " completed", code);
    // RFC 7162 3.2.10 (and what Dovecot does for CONDSTORE too): the new
    // HIGHESTMODSEQ in the tagged OK, so a client that stores it does not
    // ask for these expunges again. The store bumped it; read it back.
    int64_t id = selected_->view.mailbox_id();
    refresh([this, id] {
        if (!selected_ || selected_->view.mailbox_id() != id) return ok(name_ + " completed");
        ok(name_ + " completed", fmt::format("HIGHESTMODSEQ {}", wire_modseq(selected_->view.modseq())));
    });
}

}  // namespace pochta::imap
