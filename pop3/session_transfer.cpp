// RETR and TOP stream the message from the store in pieces, reading the
// next piece only once the output has room, so a 50 MiB message costs a
// few hundred KiB and never blocks the loop. \Seen is written as RETR
// completes (batched while a write is under way); QUIT commits the
// deletions in one store call (RFC 1939 section 6, the UPDATE state).
#include <fmt/format.h>

#include <algorithm>

#include "common/util/log.hpp"
#include "pop3/session.hpp"
#include "pop3/session_limits.hpp"

namespace pochta::pop3 {
namespace {

struct Piece {
    std::string data;
    bool gone = false;  // the message no longer exists (expunged by another session)
};

// On a worker. A failed read is told apart from a message that was
// removed meanwhile, which no retry will bring back.
Piece read_piece(store::Store& store, int64_t mailbox_id, int64_t message_id, uint64_t offset, uint64_t length) {
    try {
        return Piece{store.read_range(message_id, offset, length), false};
    } catch (const store::StoreError&) {
        auto messages = store.list_messages(mailbox_id);
        bool present = std::any_of(messages.begin(), messages.end(), [&](const auto& m) { return m.id == message_id; });
        if (present) throw;
        return Piece{{}, true};
    }
}

store::Error removed_meanwhile() {
    return {store::ErrorKind::nonexistent, "message was removed by another session"};
}

}  // namespace

void Session::start_transfer(const Command& cmd, bool retr) {
    const MaildropMessage* m = nullptr;
    if (!lookup(*cmd.message, m)) return;
    transfer_.emplace(retr ? std::nullopt : std::optional<uint64_t>(cmd.lines));
    transfer_->message = m;
    transfer_->number = *cmd.message;
    transfer_->retr = retr;
    if (m->stored_size <= transfer_chunk) {
        auto ahead = read_ahead_.find(*cmd.message);
        if (ahead != read_ahead_.end()) {
            std::string data = std::move(ahead->second);
            read_ahead_.erase(ahead);
            prefetch(*cmd.message);
            return serve_whole(std::move(data));  // no store round trip
        }
        busy();
        // The read-ahead under way brings this one: wait for it rather than
        // read the same run of messages twice.
        if (prefetching_ && *cmd.message >= prefetch_first_ && *cmd.message <= prefetch_last_) {
            awaiting_prefetch_ = true;
            return;
        }
        return read_ahead(*cmd.message, true);
    }
    busy();
    pump_transfer();
}

namespace {

struct Wanted {
    uint64_t number = 0;
    int64_t id = 0;
    uint32_t uid = 0;
    uint64_t size = 0;
};

}  // namespace

void Session::prefetch(uint64_t after) {
    if (prefetching_ || read_ahead_.size() > read_ahead_messages / 2) return;
    uint64_t next = after + 1;
    for (const auto& [number, data] : read_ahead_) next = std::max(next, number + 1);
    if (next > maildrop_.messages().size()) return;
    read_ahead(next, false);
}

// Reads small message `number` and the small messages after it that are
// not marked deleted, in one store call.
void Session::read_ahead(uint64_t number, bool serve) {
    // A client that skips around leaves unwanted entries: keep the buffer bounded.
    if (read_ahead_.size() > 2 * read_ahead_messages) read_ahead_.clear();
    std::vector<Wanted> wanted;
    uint64_t octets = 0;
    const auto& messages = maildrop_.messages();
    for (uint64_t n = number; n <= messages.size() && wanted.size() < read_ahead_messages; n++) {
        const MaildropMessage& m = messages[n - 1];
        if (m.deleted || m.stored_size > transfer_chunk) continue;
        if (!wanted.empty() && octets + m.stored_size > read_ahead_octets) break;
        wanted.push_back(Wanted{n, m.id, m.uid, m.stored_size});
        octets += m.stored_size;
    }
    if (wanted.empty()) return;  // only when prefetching: nothing small is left
    if (!serve) {
        prefetching_ = true;
        prefetch_first_ = wanted.front().number;
        prefetch_last_ = wanted.back().number;
    }
    struct Batch {
        std::vector<std::string> data;
        bool gone = false;
    };
    ctx_.store.run<Batch>(
        [mailbox = mailbox_id_, wanted](store::Store& store) {
            Batch batch;
            // One snapshot for the whole run: messages kept inside the index
            // come with their rows.
            std::vector<uint32_t> uids;
            for (const auto& w : wanted) uids.push_back(w.uid);
            store::RowParts parts;
            parts.content = true;
            std::vector<store::MessageRow> rows = store.message_rows(mailbox, uids, parts);
            auto row = rows.begin();
            for (const auto& w : wanted) {
                while (row != rows.end() && row->info.uid < w.uid) ++row;
                bool found = row != rows.end() && row->info.uid == w.uid && row->info.id == w.id;
                if (found && row->content) {
                    batch.data.push_back(std::move(*row->content));
                    continue;
                }
                if (!batch.data.empty()) break;  // the rest is a bonus: stop at the first missing
                Piece first = read_piece(store, mailbox, w.id, 0, w.size);
                batch.gone = first.gone;
                batch.data.push_back(std::move(first.data));
            }
            return batch;
        },
        [session = ref(), wanted, serve](Batch batch, store::Error error) {
            Session* self = session.get();
            if (!self) return;
            if (!serve) {
                self->prefetching_ = false;
                for (size_t i = 0; i < batch.data.size(); i++)
                    if (batch.data[i].size() == wanted[i].size)
                        self->read_ahead_[wanted[i].number] = std::move(batch.data[i]);
                if (self->awaiting_prefetch_) self->serve_awaited();
                return;
            }
            if (!self->transfer_) return;
            if (batch.gone) error = removed_meanwhile();
            if (!error.empty() || batch.data.empty())
                return self->on_chunk({}, error.empty() ? store::Error{store::ErrorKind::internal, "no data"} : error);
            if (batch.data[0].size() != wanted[0].size)
                return self->on_chunk(
                    {}, {store::ErrorKind::unavailable, "message size differs from its recorded size"});
            for (size_t i = 1; i < batch.data.size(); i++)
                if (batch.data[i].size() == wanted[i].size) self->read_ahead_[wanted[i].number] = std::move(batch.data[i]);
            self->serve_whole(std::move(batch.data[0]));
        },
        user_);
}

// The RETR or TOP that waited for the read-ahead: served from it, or read
// on its own when the read-ahead did not bring it (removed meanwhile).
void Session::serve_awaited() {
    awaiting_prefetch_ = false;
    if (!transfer_) return;
    auto ahead = read_ahead_.find(transfer_->number);
    if (ahead == read_ahead_.end()) return read_ahead(transfer_->number, true);
    std::string data = std::move(ahead->second);
    read_ahead_.erase(ahead);
    prefetch(transfer_->number);
    serve_whole(std::move(data));
}

// The whole message is at hand: the reply goes out at once.
void Session::serve_whole(std::string data) {
    Transfer& t = *transfer_;
    std::string out = t.retr ? fmt::format("+OK {} octets\r\n", t.message->size)
                             : std::string("+OK top of message follows\r\n");
    t.started = true;
    t.encoder.feed(data, out);
    t.offset = t.message->stored_size;
    t.encoder.finish(out);
    write(out);
    complete_transfer();
}

// Reads the next piece if the output has room; on_drained calls again.
void Session::pump_transfer() {
    Transfer& t = *transfer_;
    if (t.reading || conn_->pending_output() >= transfer_high_water) return;
    if (t.offset >= t.message->stored_size || t.encoder.done()) return finish_transfer();
    uint64_t length = std::min<uint64_t>(transfer_chunk, t.message->stored_size - t.offset);
    t.reading = true;
    ctx_.store.run<Piece>(
        [mailbox = mailbox_id_, id = t.message->id, offset = t.offset, length](store::Store& store) {
            return read_piece(store, mailbox, id, offset, length);
        },
        [session = ref()](Piece piece, store::Error error) {
            Session* self = session.get();
            if (!self) return;
            if (!self->transfer_) return;
            if (piece.gone) error = removed_meanwhile();
            else if (error.empty() && piece.data.empty())
                error = {store::ErrorKind::unavailable, "message is shorter than its recorded size"};
            self->on_chunk(std::move(piece.data), std::move(error));
        },
        user_);
}

void Session::on_chunk(std::string chunk, store::Error error) {
    Transfer& t = *transfer_;
    t.reading = false;
    if (!error.empty()) {
        log::error("pop3 client={} user={} cannot read message {}: {}", conn_->peer_ip(), user_, t.number, error);
        if (t.started) return conn_->abort();  // the "+OK" cannot be taken back
        // Gone or damaged: no retry brings it back (RFC 3206 SYS/PERM).
        bool lost = error.kind == store::ErrorKind::nonexistent || error.kind == store::ErrorKind::unavailable;
        reply(fmt::format("-ERR {} message {} cannot be read", lost ? "[SYS/PERM]" : "[SYS/TEMP]", t.number));
        transfer_.reset();
        return resume();
    }
    std::string out;
    if (!t.started) {
        t.started = true;
        out = t.retr ? fmt::format("+OK {} octets\r\n", t.message->size) : std::string("+OK top of message follows\r\n");
    }
    t.encoder.feed(chunk, out);
    t.offset += chunk.size();
    write(out);
    pump_transfer();
}

void Session::finish_transfer() {
    Transfer& t = *transfer_;
    std::string out;
    if (!t.started) out = t.retr ? "+OK 0 octets\r\n" : "+OK top of message follows\r\n";  // an empty message
    t.encoder.finish(out);
    write(out);
    complete_transfer();
}

// The reply is queued: \Seen for RETR, then the next command.
void Session::complete_transfer() {
    Transfer& t = *transfer_;
    if (t.retr) {
        if (t.encoder.message_octets() != t.message->size)
            log::warn("pop3 user={} message {} sent {} octets, listed {}", user_, t.number,
                      t.encoder.message_octets(), t.message->size);
        if (!t.message->seen) {
            maildrop_.mark_seen(t.number);
            queue_seen(t.message->uid);
        }
    }
    transfer_.reset();
    if (input_ == Input::busy) resume();
}

void Session::queue_seen(uint32_t uid) {
    seen_pending_.push_back(uid);
    flush_seen();
}

// One flag write at a time; RETRs that complete meanwhile share the next.
// When the session is gone, what is left is written without waiting.
void Session::flush_seen() {
    bool closing = !conn_ || conn_->closing();
    if (seen_pending_.empty() || (seen_in_flight_ && !closing)) return;
    store::FlagUpdate update;
    update.uids = std::exchange(seen_pending_, {});
    update.op = store::FlagOp::add;
    update.flags = store::flag_seen;
    seen_in_flight_ = true;
    ctx_.store.run<bool>(
        [mailbox = mailbox_id_, update = std::move(update)](store::Store& store) {
            store.update_flags(mailbox, update);
            return true;
        },
        [session = closing ? session::SessionRef<Session>() : ref()](bool, store::Error error) {
            if (!error.empty()) log::warn("pop3 cannot set \\Seen: {}", error);
            Session* self = session.get();
            if (!self) return;
            self->seen_in_flight_ = false;
            if (self->state_ == State::update) return self->run_update();
            self->flush_seen();
        },
        user_);
}

void Session::handle_quit() {
    if (state_ == State::authorization) {
        reply(fmt::format("+OK {} POP3 server signing off", ctx_.hostname));
        return close();
    }
    state_ = State::update;
    busy();
    // The \Seen flags of messages already sent are written before the
    // reply, so a client that looks right after QUIT finds them.
    if (!seen_in_flight_) run_update();
}

void Session::run_update() {
    store::FlagUpdate seen;
    seen.op = store::FlagOp::add;
    seen.flags = store::flag_seen;
    std::vector<uint32_t> deleted = maildrop_.deleted_uids();
    for (uint32_t uid : std::exchange(seen_pending_, {}))
        if (!std::binary_search(deleted.begin(), deleted.end(), uid)) seen.uids.push_back(uid);
    if (seen.uids.empty() && deleted.empty()) return on_update_done(0, {});
    ctx_.store.run<size_t>(
        [mailbox = mailbox_id_, seen = std::move(seen), deleted = std::move(deleted)](store::Store& store) {
            if (!seen.uids.empty()) store.update_flags(mailbox, seen);
            // The deletions go in one call, so they happen together or not at all.
            return deleted.empty() ? size_t{0} : store.expunge(mailbox, deleted, false).size();
        },
        ref().bind([](Session& self, size_t removed, store::Error error) { self.on_update_done(removed, error.message); }),
        user_);
}

void Session::on_update_done(size_t removed, const std::string& error) {
    // Released before the reply, so a client that logs in again at once
    // does not find its own old session holding the maildrop.
    lock_.reset();
    if (!error.empty()) {
        log::error("pop3 client={} user={} update failed: {}", conn_->peer_ip(), user_, error);
        reply("-ERR [SYS/TEMP] some deleted messages not removed, try again later");
        return close();
    }
    log::info("pop3 client={} user={} logged out, {} messages deleted, {} left", conn_->peer_ip(), user_, removed,
              maildrop_.count());
    reply(fmt::format("+OK {} POP3 server signing off ({} messages left)", ctx_.hostname, maildrop_.count()));
    close();
}

}  // namespace pochta::pop3
