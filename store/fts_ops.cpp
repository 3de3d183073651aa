// SqliteStore's full-text index queries and rebuild (README.md, "Full-text
// search"); the indexing itself is store/fts_indexer.cpp.
#include <algorithm>

#include "common/util/log.hpp"
#include "store/fts_db.hpp"
#include "store/fts_indexer.hpp"
#include "store/sqlite_store.hpp"

namespace pochta::store {

namespace {

constexpr size_t kRebuildBatch = 200;

std::optional<int64_t> find_user_id(Db& db, const std::string& user) {
    auto q = db.cached("SELECT id FROM users WHERE address = ?1");
    q->bind(1, user);
    if (!q->step()) return std::nullopt;
    return q->int64(0);
}

}  // namespace

TextIndexResult SqliteStore::search_text_index(const std::string& user, int64_t min_id, int64_t max_id,
                                               const std::vector<TextKey>& keys) {
    std::optional<int64_t> user_id;
    {
        auto db = readers_->acquire();
        user_id = find_user_id(*db, user);
    }
    if (!user_id) return {};
    std::unique_ptr<FtsDb> fts = FtsDb::open_existing(data_dir_, *user_id);
    if (!fts) return {};
    Txn snapshot(fts->db(), Txn::Kind::deferred);  // `indexed` and the matches from one state
    return fts->search(min_id, max_id, keys);
}

// Searches meanwhile scan what is not indexed again yet; the server's
// indexer may add messages beside it (each is looked at once).
size_t SqliteStore::rebuild_text_index(const std::string& user, const TextIndexOptions& options) {
    std::optional<int64_t> user_id;
    std::vector<TextSource> messages;
    {
        auto db = readers_->acquire();
        user_id = find_user_id(*db, user);
        if (!user_id) throw StoreError("no such user: " + user, ErrorKind::nonexistent);
        auto q = db->cached(
            "SELECT m.id, m.size FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id WHERE b.user_id = ?1 "
            "ORDER BY m.id");
        q->bind(1, *user_id);
        while (q->step()) messages.push_back(TextSource{q->int64(0), *user_id, static_cast<uint64_t>(q->int64(1))});
    }
    std::unique_ptr<FtsDb> fts = FtsDb::open_or_create(data_dir_, *user_id);
    {
        Txn txn(fts->db(), Txn::Kind::immediate);
        fts->clear();
        txn.commit();
    }
    size_t indexed = 0;
    for (size_t i = 0; i < messages.size(); i += kRebuildBatch) {
        auto end = messages.begin() + static_cast<std::ptrdiff_t>(std::min(messages.size(), i + kRebuildBatch));
        indexed += index_messages(*this, *fts, options, {messages.begin() + static_cast<std::ptrdiff_t>(i), end});
    }
    log::info("store: full-text index of {} rebuilt: {} of {} messages indexed", user, indexed, messages.size());
    return indexed;
}

}  // namespace pochta::store
