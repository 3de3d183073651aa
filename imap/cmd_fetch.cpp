// FETCH and UID FETCH. Non-PEEK body fetches set \Seen first (read-write
// only); then the responses are rendered on a worker thread in batches, each
// batch from one read of the store (Store::message_rows), one batch ahead of
// the socket so that rendering and writing overlap. Large literals are
// streamed from the store in chunks, each waiting for the socket to drain,
// so memory stays bounded whatever the message size.
#include <fmt/format.h>

#include <algorithm>
#include <deque>
#include <set>

#include "common/util/log.hpp"
#include "imap/binary_section.hpp"
#include "imap/fetch_render.hpp"
#include "imap/session.hpp"

namespace pochta::imap {
namespace {

constexpr size_t batch_messages = 200;
constexpr size_t batch_bytes = 1 << 20;
constexpr uint64_t stream_chunk_size = 256 * 1024;
constexpr size_t max_queued_output = 1 << 20;  // then wait for on_drained

}  // namespace

struct Session::FetchJob {
    int64_t mailbox_id = 0;
    std::vector<FetchItem> items;
    store::RowParts parts;
    std::vector<FetchMessage> messages;
    std::optional<uint64_t> changed_since;  // stored MODSEQ: rows at or below it are left out
    size_t next = 0;                        // first message not rendered yet
    std::deque<FetchPiece> pieces;          // rendered, not yet written
    size_t buffered = 0;                    // text bytes in `pieces`
    uint64_t streamed = 0;                  // of pieces.front()'s content
    bool rendering = false;                 // a batch is being rendered
    bool streaming = false;                 // a chunk of a large literal is being read
    bool unavailable = false;               // a message's blob is missing or damaged: NO [UNAVAILABLE]
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
    for (const auto& item : request->items) sets_seen |= item.sets_seen();
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
    job->parts = row_parts(job->items);
    // CHANGEDSINCE n: only messages whose (wire) MODSEQ is above n.
    std::optional<uint64_t> since;
    if (request->changedsince) since = stored_modseq(*request->changedsince);
    if (request->changedsince && *request->changedsince != 0) job->changed_since = since;
    job->messages.reserve(seqs->size());
    for (uint32_t seq : *seqs) {
        uint32_t uid = view.uid_at(seq);
        if (view.is_expunged(uid)) continue;  // gone: nothing to read (RFC 2180 4.1.2)
        job->messages.push_back(FetchMessage{seq, uid, view.is_recent(uid), false});
    }
    if (!request->vanished) return fetch_set_seen(job, sets_seen);

    // UID FETCH (CHANGEDSINCE n VANISHED): the UIDs of the set expunged since
    // n, as one VANISHED (EARLIER) before the FETCH responses (RFC 7162 3.2.6).
    int64_t id = job->mailbox_id;
    uint64_t from = *since;
    uint32_t max = std::max(view.uidnext() - 1, view.max_uid());
    SeqSet uids = *set;
    run_store<SeqSet>(
        [id, from, uids, max](store::Store& store) {
            auto box = store.mailbox_state(id);
            if (box && from < box->expunge_horizon) {
                // Tombstones that old were pruned: conservatively, every UID
                // of the set that does not exist now.
                std::vector<uint32_t> present;
                for (const auto& m : store.list_messages(id)) present.push_back(m.uid);
                return absent_uids(uids, max, present);
            }
            std::vector<uint32_t> vanished;
            for (uint32_t uid : store.expunged_since(id, from))
                if (uids.contains(uid, max)) vanished.push_back(uid);
            return SeqSet::from_numbers(std::move(vanished));
        },
        [job, sets_seen](Session& self, SeqSet vanished, store::Error error) {
            if (!error.empty()) return self.no("FETCH failed", "SERVERBUG");
            if (!vanished.empty()) self.send(fmt::format("* VANISHED (EARLIER) {}\r\n", vanished.str()));
            self.fetch_set_seen(job, sets_seen);
        });
}

// A non-PEEK body fetch sets \Seen first (read-write only), so the FETCH
// responses can report the new flags; then the rendering starts. The view
// keeps no flags, so the worker reads them first: a FETCH of messages that
// are all \Seen already (the usual case) writes nothing.
void Session::fetch_set_seen(std::shared_ptr<FetchJob> job, bool sets_seen) {
    if (!sets_seen || selected_->read_only || job->messages.empty()) return start_fetch(job);
    std::vector<uint32_t> uids;
    uids.reserve(job->messages.size());
    for (const auto& m : job->messages) uids.push_back(m.uid);
    int64_t id = job->mailbox_id;
    run_store<store::FlagResult>(
        [id, uids = std::move(uids)](store::Store& store) {
            store::FlagUpdate update;
            // A message that cannot be read is not marked read (README.md, "Integrity").
            for (const auto& row : store.message_rows(id, uids, {}))
                if (!(row.info.flags & store::flag_seen) && !store.check_message(row.info.id))
                    update.uids.push_back(row.info.uid);
            if (update.uids.empty()) return store::FlagResult{};
            update.op = store::FlagOp::add;
            update.flags = store::flag_seen;
            return store.update_flags(id, update);
        },
        [job](Session& self, store::FlagResult result, store::Error error) {
            if (!error.empty()) log::warn("imap user={} setting \\Seen failed: {}", self.user_, error);
            for (const auto& changed : result.changed) {
                if (self.selected_ && self.selected_->view.mailbox_id() == job->mailbox_id)
                    self.selected_->view.set_flags(changed);
                auto it = std::lower_bound(job->messages.begin(), job->messages.end(), changed.uid,
                                           [](const FetchMessage& m, uint32_t uid) { return m.uid < uid; });
                if (it != job->messages.end() && it->uid == changed.uid) it->report_flags = true;
            }
            self.start_fetch(job);
        });
}

void Session::start_fetch(std::shared_ptr<FetchJob> job) {
    fetch_ = std::move(job);
    pump_fetch();
}

// Moves the FETCH forward as far as it can without blocking: keeps a batch
// rendering ahead, writes what is rendered, streams large content.
void Session::pump_fetch() {
    while (fetch_ && !conn_->closing()) {
        FetchJob& job = *fetch_;
        render_next_batch();
        if (job.streaming) return;  // the chunk's callback comes back here
        if (conn_->pending_output() > max_queued_output) {
            waiting_drain_ = true;  // on_drained() calls back
            return;
        }
        if (job.pieces.empty()) {
            if (job.rendering) return;  // the batch's callback comes back here
            const bool unavailable = job.unavailable;
            fetch_.reset();
            if (unavailable) return no("Some messages could not be read", "UNAVAILABLE");
            return ok(name_ == "FETCH" && uid_ ? "UID FETCH completed" : "FETCH completed");
        }
        FetchPiece& p = job.pieces.front();
        if (job.streamed == 0 && !p.text.empty()) {
            job.buffered -= p.text.size();
            send(p.text);
            p.text.clear();
        }
        if (job.streamed >= p.length) {
            job.pieces.pop_front();
            job.streamed = 0;
            continue;
        }
        stream_chunk(p);
        return;
    }
}

// Reads the next chunk of a large literal; the session writes it and pumps on.
void Session::stream_chunk(const FetchPiece& p) {
    fetch_->streaming = true;
    int64_t id = p.message_id;
    uint64_t offset = p.offset + fetch_->streamed;
    uint64_t length = std::min(stream_chunk_size, p.length - fetch_->streamed);
    run_store<std::string>(
        [id, offset, length](store::Store& store) { return store.read_range(id, offset, length); },
        [](Session& self, std::string chunk, store::Error error) {
            if (!self.fetch_) return;
            self.fetch_->streaming = false;
            if (!error.empty() || chunk.empty()) {
                // The literal was announced: the stream cannot be repaired.
                log::error("imap user={} message read failed: {}", self.user_, error);
                return self.bye_and_close("Internal error reading a message");
            }
            self.fetch_->streamed += chunk.size();
            self.send(chunk);
            self.pump_fetch();
        });
}

namespace {

struct RenderedBatch {
    std::vector<FetchPiece> pieces;
    std::set<std::string> keywords;  // on the messages rendered (another session may just have made one)
    size_t consumed = 0;  // messages of the batch rendered or skipped
    std::vector<std::pair<uint32_t, std::string>> unavailable;  // UID and why: left out of the answer
};

// One batch on a worker: one read of the store, then each message rendered.
RenderedBatch render_batch(store::Store& store, int64_t mailbox_id, const std::vector<FetchMessage>& batch,
                           const std::vector<FetchItem>& items, store::RowParts parts,
                           std::optional<uint64_t> changed_since) {
    std::vector<uint32_t> uids;
    uids.reserve(batch.size());
    for (const auto& m : batch) uids.push_back(m.uid);
    std::vector<store::MessageRow> rows = store.message_rows(mailbox_id, uids, parts);
    RenderedBatch out;
    size_t bytes = 0;
    auto row = rows.begin();
    for (const auto& m : batch) {
        out.consumed++;
        while (row != rows.end() && row->info.uid < m.uid) ++row;
        // Expunged by another session meanwhile: nothing to send (RFC 2180 4.1.2).
        if (row == rows.end() || row->info.uid != m.uid) continue;
        if (changed_since && row->info.modseq <= *changed_since && !m.report_flags) continue;
        out.keywords.insert(row->info.keywords.begin(), row->info.keywords.end());
        // Checked before anything is announced: a literal cannot be taken back.
        store::Error failed = parts.content && !row->content ? store.check_message(row->info.id) : store::Error{};
        std::vector<FetchPiece> pieces;
        if (!failed) {
            try {
                pieces = render_fetch(store, m, *row, items);
            } catch (const store::StoreError& e) {
                failed = e.error();
            }
        }
        if (failed.kind == store::ErrorKind::unavailable) out.unavailable.emplace_back(m.uid, failed.message);
        if (failed) continue;  // else its blob went with an expunge meanwhile
        for (auto& p : pieces) {
            bytes += p.text.size();
            // Consecutive text goes out as one write: one SSL_write and full
            // TLS records for many messages instead of one record each.
            if (!out.pieces.empty() && out.pieces.back().length == 0 && p.length == 0)
                out.pieces.back().text += p.text;
            else
                out.pieces.push_back(std::move(p));
        }
        if (bytes > batch_bytes) break;
    }
    return out;
}

}  // namespace

// Asks a worker for the next batch unless one is under way, all are done,
// or a batch's worth of text already waits to be written.
void Session::render_next_batch() {
    FetchJob& job = *fetch_;
    if (job.rendering || job.next >= job.messages.size() || job.buffered > batch_bytes) return;
    size_t end = std::min(job.messages.size(), job.next + batch_messages);
    std::vector<FetchMessage> batch(job.messages.begin() + static_cast<std::ptrdiff_t>(job.next),
                                    job.messages.begin() + static_cast<std::ptrdiff_t>(end));
    job.rendering = true;
    run_store<RenderedBatch>(
        [batch = std::move(batch), items = job.items, parts = job.parts, id = job.mailbox_id,
         since = job.changed_since](store::Store& store) {
            return render_batch(store, id, batch, items, parts, since);
        },
        [](Session& self, RenderedBatch rendered, store::Error error) {
            if (!self.fetch_) return;
            FetchJob& job = *self.fetch_;
            job.rendering = false;
            if (!error.empty()) {
                self.fetch_.reset();
                if (error.message == kUnknownCteError)
                    return self.no("Unknown Content-Transfer-Encoding", "UNKNOWN-CTE");
                return self.no("FETCH failed", "SERVERBUG");
            }
            job.next += std::max<size_t>(rendered.consumed, 1);
            for (const auto& [uid, why] : rendered.unavailable)
                log::error("imap user={} message uid={} is unavailable: {}", self.user_, uid, why);
            job.unavailable = job.unavailable || !rendered.unavailable.empty();
            // A keyword new to the client is announced by FLAGS before a
            // FETCH shows it; the batch's pieces follow this one.
            if (self.selected_ && self.selected_->view.mailbox_id() == job.mailbox_id) {
                self.selected_->view.learn_keywords(rendered.keywords);
                if (std::string flags = self.flags_lines(false); !flags.empty()) {
                    job.buffered += flags.size();
                    job.pieces.push_back(FetchPiece{std::move(flags)});
                }
            }
            for (auto& p : rendered.pieces) {
                job.buffered += p.text.size();
                job.pieces.push_back(std::move(p));
            }
            if (!self.waiting_drain_) self.pump_fetch();
        });
}

void Session::on_drained(net::Connection&) {
    if (!waiting_drain_) return;
    waiting_drain_ = false;
    pump_fetch();
    update_pause();
}

}  // namespace pochta::imap
