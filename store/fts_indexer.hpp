// Keeps the full-text index (store/fts_db.hpp) up to date on a thread of
// its own (README.md, "Full-text search"), so neither deliveries nor the
// loop wait for it: it follows message ids upwards (the store hands them
// out in commit order and never reuses one), indexes what arrived, and
// removes what index.db's triggers logged in fts_gone. The id it reached is
// kept in data_dir/fts/indexed_up_to; a crash at worst looks at a few
// messages again. Searches never trust it to be current: whatever it has
// not reached is scanned.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "store/fts_db.hpp"
#include "store/store.hpp"

namespace pochta::store {

// A message to index, as the store lists it.
struct TextSource {
    int64_t message_id = 0;
    int64_t user_id = 0;
    uint64_t size = 0;
};

// Looks at each message once (skipping those the index holds already) and
// records it in `db`: its text, or only that it is too large or unreadable.
// Returns how many it indexed. Shared by the indexer and the rebuild.
size_t index_messages(Store& store, FtsDb& db, const TextIndexOptions& options,
                      const std::vector<TextSource>& messages);

class FtsIndexer {
public:
    FtsIndexer(std::filesystem::path data_dir, Store& store, TextIndexOptions options);
    ~FtsIndexer();
    FtsIndexer(const FtsIndexer&) = delete;
    FtsIndexer& operator=(const FtsIndexer&) = delete;

private:
    void run();
    bool index_new();    // true when the step was full: more may be waiting
    bool forget_gone();  // the same for expunged messages
    FtsDb& user_db(int64_t user_id);
    void save_mark() const;

    std::filesystem::path data_dir_;
    Store& store_;
    TextIndexOptions options_;
    std::unique_ptr<Db> index_;  // index.db: the messages to index, fts_gone
    std::map<int64_t, std::unique_ptr<FtsDb>> users_;
    int64_t mark_ = 0;  // every message id up to this one was looked at
    std::mutex mutex_;
    std::condition_variable wakeup_;
    bool stop_ = false;
    std::thread thread_;
};

}  // namespace pochta::store
