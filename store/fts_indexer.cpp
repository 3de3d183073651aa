#include "store/fts_indexer.hpp"

#include <chrono>
#include <fstream>

#include "common/util/log.hpp"

namespace pochta::store {

namespace fs = std::filesystem;

namespace {

// Messages per step: one transaction per user database each, short enough
// that a search or a rebuild waiting on it is not held long.
constexpr int64_t kBatch = 200;
// ...and at most about this many bytes of messages (one more message may
// pass it): a step of large messages still ends within a second or so, so
// the server, which waits for the step under way, exits within the 10 s
// of README "pochta serve" after SIGTERM.
constexpr uint64_t kBatchBytes = 16u << 20;
// Expunged messages forgotten per step.
constexpr int64_t kForgetBatch = kBatch * 5;
// Users' databases kept open; more are closed and reopened when needed.
constexpr size_t kOpenUsers = 16;
// How often it looks for new mail when it has caught up: one indexed query.
// Mail stored by any process (the server, a CLI command) is seen the same way.
constexpr std::chrono::milliseconds kPoll{250};

fs::path mark_file(const fs::path& data_dir) { return data_dir / "fts" / "indexed_up_to"; }

int64_t read_mark(const fs::path& data_dir) {
    std::ifstream in(mark_file(data_dir));
    int64_t mark = 0;
    if (!(in >> mark) || mark < 0) return 0;
    return mark;
}

}  // namespace

size_t index_messages(Store& store, FtsDb& db, const TextIndexOptions& options,
                      const std::vector<TextSource>& messages) {
    size_t indexed = 0;
    Txn txn(db.db(), Txn::Kind::immediate);
    for (const TextSource& m : messages) {
        if (db.has(m.message_id)) continue;
        if (m.size > options.max_message_size) {
            db.add(m.message_id, nullptr);
            continue;
        }
        std::optional<IndexedText> text;
        try {
            std::string raw = store.read_message(m.message_id);
            text = options.make(raw, store.message_structure(m.message_id));
        } catch (const StoreError& e) {
            // Expunged meanwhile (fts_gone has it) or unreadable (README.md,
            // "Integrity"): not indexed, so a search scans it.
            if (e.kind() != ErrorKind::nonexistent) log::warn("fts: message {} not indexed: {}", m.message_id, e.what());
            continue;
        }
        db.add(m.message_id, &*text);
        ++indexed;
    }
    txn.commit();
    return indexed;
}

FtsIndexer::FtsIndexer(fs::path data_dir, Store& store, TextIndexOptions options)
    : data_dir_(std::move(data_dir)),
      store_(store),
      options_(std::move(options)),
      index_(std::make_unique<Db>(data_dir_ / "index.db", Db::Role::writer)),
      mark_(read_mark(data_dir_)),
      thread_([this] { run(); }) {}

FtsIndexer::~FtsIndexer() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    wakeup_.notify_one();
    thread_.join();
}

void FtsIndexer::run() {
    for (;;) {
        bool busy = false;
        try {
            // A step that was not full took everything there was: the next
            // waits a poll period, so mail arriving steadily is indexed in
            // steps of a poll's worth, not one or two messages a step, each
            // with its own FTS5 segment and commit (most of the indexer's
            // cost under load).
            const bool more_gone = forget_gone();
            const bool more_new = index_new();
            busy = more_gone || more_new;
        } catch (const std::exception& e) {
            log::error("fts: indexing failed, retrying: {}", e.what());
        }
        std::unique_lock lock(mutex_);
        if (!busy) wakeup_.wait_for(lock, kPoll, [this] { return stop_; });
        if (stop_) return;
    }
}

bool FtsIndexer::index_new() {
    std::map<int64_t, std::vector<TextSource>> by_user;
    int64_t last = mark_;
    int64_t found = 0;
    bool full = false;
    {
        auto q = index_->cached(
            "SELECT m.id, b.user_id, m.size FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id "
            "WHERE m.id > ?1 ORDER BY m.id LIMIT ?2");
        q->bind(1, mark_).bind(2, kBatch);
        uint64_t bytes = 0;
        while (bytes < kBatchBytes && q->step()) {
            TextSource s{q->int64(0), q->int64(1), static_cast<uint64_t>(q->int64(2))};
            by_user[s.user_id].push_back(s);
            last = s.message_id;
            bytes += s.size;
            ++found;
        }
        full = found == kBatch || bytes >= kBatchBytes;
    }
    if (by_user.empty()) return false;
    for (const auto& [user_id, messages] : by_user) index_messages(store_, user_db(user_id), options_, messages);
    mark_ = last;
    save_mark();
    return full;
}

bool FtsIndexer::forget_gone() {
    std::vector<std::pair<int64_t, int64_t>> gone;  // message id, user id
    {
        auto q = index_->cached("SELECT message_id, user_id FROM fts_gone ORDER BY user_id LIMIT ?1");
        q->bind(1, kForgetBatch);
        while (q->step()) gone.emplace_back(q->int64(0), q->int64(1));
    }
    if (gone.empty()) return false;
    std::map<int64_t, std::vector<int64_t>> by_user;
    for (const auto& [message, user] : gone) by_user[user].push_back(message);
    for (const auto& [user_id, messages] : by_user) {
        if (!fs::exists(FtsDb::file(data_dir_, user_id))) continue;
        FtsDb& db = user_db(user_id);
        Txn txn(db.db(), Txn::Kind::immediate);
        for (int64_t id : messages) db.remove(id);
        txn.commit();
    }
    Txn txn(*index_, Txn::Kind::immediate);
    auto q = index_->cached("DELETE FROM fts_gone WHERE message_id = ?1");
    for (const auto& entry : gone) {
        q->reset();
        q->bind(1, entry.first).run();
    }
    txn.commit();
    return static_cast<int64_t>(gone.size()) == kForgetBatch;
}

FtsDb& FtsIndexer::user_db(int64_t user_id) {
    auto it = users_.find(user_id);
    if (it != users_.end()) return *it->second;
    if (users_.size() >= kOpenUsers) users_.clear();
    return *users_.emplace(user_id, FtsDb::open_or_create(data_dir_, user_id)).first->second;
}

// Written by rename, without fsync: a mark lost in a crash only makes the
// indexer look at messages the index already holds.
void FtsIndexer::save_mark() const {
    const fs::path file = mark_file(data_dir_);
    const fs::path temp = file.string() + ".tmp";
    {
        std::ofstream out(temp, std::ios::trunc);
        out << mark_ << '\n';
        if (!out) throw StoreError("fts: cannot write " + temp.string());
    }
    fs::rename(temp, file);
}

}  // namespace pochta::store
