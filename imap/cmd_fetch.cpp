// FETCH and UID FETCH. Non-PEEK body fetches set \Seen first (read-write
// only), then the responses are rendered in batches on a worker thread;
// large literals are streamed from the store in chunks, each waiting for
// the socket to drain, so memory stays bounded whatever the message size.
#include <fmt/format.h>

#include <algorithm>

#include "common/util/log.hpp"
#include "imap/fetch_render.hpp"
#include "imap/session.hpp"

namespace pochta::imap {
namespace {

constexpr size_t batch_messages = 200;
constexpr size_t batch_bytes = 1 << 20;
constexpr uint64_t stream_chunk = 256 * 1024;
constexpr size_t max_queued_output = 1 << 20;  // then wait for on_drained

}  // namespace

struct Session::FetchJob {
    int64_t mailbox_id = 0;
    std::vector<FetchItem> items;
    std::vector<FetchMessage> messages;
    size_t next = 0;                      // first message not rendered yet
    std::vector<FetchPiece> pieces;       // rendered, not yet written
    size_t piece = 0;
    uint64_t streamed = 0;                // of pieces[piece]'s content
    bool reading = false;                 // a render or a chunk read is under way
};

namespace {

bool has_item(const std::vector<FetchItem>& items, FetchItem::Kind kind) {
    return std::any_of(items.begin(), items.end(), [kind](const FetchItem& i) { return i.kind == kind; });
}

void add_item(std::vector<FetchItem>& items, FetchItem::Kind kind, bool front) {
    if (has_item(items, kind)) return;
    FetchItem item;
    item.kind = kind;
    items.insert(front ? items.begin() : items.end(), item);
}

}  // namespace

void Session::cmd_fetch(const Command& cmd) {
    if (cmd.args.size() < 2 || !cmd.args[0].is_atom()) return bad("FETCH needs a sequence set and items");
    auto set = SeqSet::parse(cmd.args[0].text);
    if (!set) return bad("Invalid sequence set");
    std::string error;
    auto request = parse_fetch(std::span<const Token>(cmd.args).subspan(1), cmd.uid, error);
    if (!request) return bad(error.empty() ? "Invalid FETCH items" : error);
    if (request->vanished && !qresync_enabled_) return bad("VANISHED needs QRESYNC enabled");
    bool sets_seen = false;
    for (const auto& item : request->items) {
        if (item.kind == FetchItem::Kind::binary || item.kind == FetchItem::Kind::binary_size)
            return bad("BINARY is not supported");
        sets_seen |= item.sets_seen();
    }
    MailboxView& view = selected_->view;
    auto seqs = view.resolve(*set, cmd.uid);
    if (!seqs) return bad("Invalid message sequence number");
    // CHANGEDSINCE and the MODSEQ item are CONDSTORE-enabling (RFC 7162 3.1).
    if (request->changedsince || has_item(request->items, FetchItem::Kind::modseq)) enable_condstore();
    auto job = std::make_shared<FetchJob>();
    job->mailbox_id = view.mailbox_id();
    job->items = std::move(request->items);
    if (condstore_enabled_ && (request->changedsince || sets_seen || has_item(job->items, FetchItem::Kind::flags)))
        add_item(job->items, FetchItem::Kind::modseq, false);
    if (cmd.uid || condstore_enabled_) add_item(job->items, FetchItem::Kind::uid, true);
    // CHANGEDSINCE n: only messages whose (wire) MODSEQ is above n.
    std::optional<uint64_t> since;
    if (request->changedsince) since = stored_modseq(*request->changedsince);
    for (uint32_t seq : *seqs) {
        const ViewMessage& m = view.at(seq);
        if (m.expunged) continue;  // gone: nothing to read (RFC 2180 4.1.2)
        if (since && *request->changedsince != 0 && m.info.modseq <= *since) continue;
        FetchMessage fm{seq, m.info, m.recent, false};
        fm.info.modseq = wire_modseq(fm.info.modseq);
        job->messages.push_back(std::move(fm));
    }
    if (!request->vanished) return fetch_set_seen(job, sets_seen);

    // UID FETCH (CHANGEDSINCE n VANISHED): the UIDs of the set expunged since
    // n, as one VANISHED (EARLIER) before the FETCH responses (RFC 7162 3.2.6).
    int64_t id = job->mailbox_id;
    uint64_t from = *since;
    uint32_t max = std::max(view.uidnext() - 1, view.max_uid());
    SeqSet uids = *set;
    run_store<std::vector<uint32_t>>(
        [id, from](store::Store& store) { return store.expunged_since(id, from); },
        [job, uids, max, sets_seen](Session& self, std::vector<uint32_t> expunged, std::string error) {
            if (!error.empty()) return self.no("FETCH failed", "SERVERBUG");
            std::vector<uint32_t> vanished;
            for (uint32_t uid : expunged)
                if (uids.contains(uid, max)) vanished.push_back(uid);
            if (!vanished.empty())
                self.send(fmt::format("* VANISHED (EARLIER) {}\r\n", SeqSet::from_numbers(vanished).str()));
            self.fetch_set_seen(job, sets_seen);
        });
}

// A non-PEEK body fetch sets \Seen first (read-write only), so the FETCH
// responses can report the new flags; then the rendering starts.
void Session::fetch_set_seen(std::shared_ptr<FetchJob> job, bool sets_seen) {
    std::vector<uint32_t> unseen;
    if (sets_seen && !selected_->read_only)
        for (const auto& m : job->messages)
            if (!(m.info.flags & store::flag_seen)) unseen.push_back(m.info.uid);
    if (unseen.empty()) return start_fetch(job);

    store::FlagUpdate update;
    update.uids = std::move(unseen);
    update.op = store::FlagOp::add;
    update.flags = store::flag_seen;
    int64_t id = job->mailbox_id;
    run_store<store::FlagResult>(
        [id, update](store::Store& store) { return store.update_flags(id, update); },
        [job](Session& self, store::FlagResult result, std::string error) {
            if (!error.empty()) log::warn("imap user={} setting \\Seen failed: {}", self.user_, error);
            for (const auto& changed : result.changed) {
                if (self.selected_ && self.selected_->view.mailbox_id() == job->mailbox_id)
                    self.selected_->view.set_flags(changed);
                for (auto& m : job->messages)
                    if (m.info.uid == changed.uid) {
                        m.info.flags = changed.flags;
                        m.info.keywords = changed.keywords;
                        m.info.modseq = wire_modseq(changed.modseq);
                        m.report_flags = true;
                    }
            }
            self.start_fetch(job);
        });
}

void Session::start_fetch(std::shared_ptr<FetchJob> job) {
    fetch_ = std::move(job);
    pump_fetch();
}

// Moves the FETCH forward as far as it can without blocking: writes what is
// rendered, streams content, asks the worker for the next batch.
void Session::pump_fetch() {
    while (fetch_ && !fetch_->reading && !conn_->closing()) {
        FetchJob& job = *fetch_;
        if (conn_->pending_output() > max_queued_output) {
            waiting_drain_ = true;  // on_drained() calls back
            return;
        }
        if (job.piece < job.pieces.size()) {
            FetchPiece& p = job.pieces[job.piece];
            if (job.streamed == 0 && !p.text.empty()) {
                send(p.text);
                p.text.clear();
            }
            if (job.streamed >= p.length) {
                job.piece++;
                job.streamed = 0;
                continue;
            }
            job.reading = true;
            int64_t id = p.message_id;
            uint64_t offset = p.offset + job.streamed;
            uint64_t length = std::min(stream_chunk, p.length - job.streamed);
            run_store<std::string>(
                [id, offset, length](store::Store& store) { return store.read_range(id, offset, length); },
                [](Session& self, std::string chunk, std::string error) {
                    if (!self.fetch_) return;
                    self.fetch_->reading = false;
                    if (!error.empty() || chunk.empty()) {
                        // The literal was announced: the stream cannot be repaired.
                        log::error("imap user={} message read failed: {}", self.user_, error);
                        return self.bye_and_close("Internal error reading a message");
                    }
                    self.fetch_->streamed += chunk.size();
                    self.send(chunk);
                    self.pump_fetch();
                });
            return;
        }
        if (job.next >= job.messages.size()) {
            fetch_.reset();
            return ok(name_ == "FETCH" && uid_ ? "UID FETCH completed" : "FETCH completed");
        }
        // Render the next batch on a worker.
        size_t end = std::min(job.messages.size(), job.next + batch_messages);
        std::vector<FetchMessage> batch(job.messages.begin() + static_cast<std::ptrdiff_t>(job.next),
                                        job.messages.begin() + static_cast<std::ptrdiff_t>(end));
        job.reading = true;
        auto items = job.items;
        run_store<std::pair<std::vector<FetchPiece>, size_t>>(
            [batch = std::move(batch), items](store::Store& store) {
                std::pair<std::vector<FetchPiece>, size_t> out;
                size_t bytes = 0;
                for (const auto& m : batch) {
                    std::vector<FetchPiece> pieces;
                    try {
                        pieces = render_fetch(store, m, items);
                    } catch (const store::StoreError&) {
                        // Expunged by another session meanwhile: skip it.
                        out.second++;
                        continue;
                    }
                    for (auto& p : pieces) {
                        bytes += p.text.size();
                        out.first.push_back(std::move(p));
                    }
                    out.second++;
                    if (bytes > batch_bytes) break;
                }
                return out;
            },
            [](Session& self, std::pair<std::vector<FetchPiece>, size_t> rendered, std::string error) {
                if (!self.fetch_) return;
                FetchJob& job = *self.fetch_;
                job.reading = false;
                if (!error.empty()) {
                    self.fetch_.reset();
                    return self.no("FETCH failed", "SERVERBUG");
                }
                job.pieces = std::move(rendered.first);
                job.piece = 0;
                job.streamed = 0;
                job.next += std::max<size_t>(rendered.second, 1);
                self.pump_fetch();
            });
        return;
    }
}

void Session::on_drained(net::Connection&) {
    if (!waiting_drain_) return;
    waiting_drain_ = false;
    pump_fetch();
    update_pause();
}

}  // namespace pochta::imap
