// One user's full-text index (README.md, "Full-text search"): an SQLite
// database of its own, data_dir/fts/<user id>.db, so a search reads only
// that user's index and indexing never takes index.db's write lock from
// deliveries. It holds an FTS5 table with the trigram tokenizer (substrings
// of three characters or more, detail=full for their positions) over text
// the front-end already folded, hence case_sensitive 1: the tokenizer must
// not fold differently. Its rowids are message ids, which the store never
// reuses, so a row left behind by an expunge can never answer for another
// message; `docs` says which messages were looked at (indexed = 0: too
// large, searched by scanning).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <vector>

#include "store/sqlite_db.hpp"
#include "store/store.hpp"

namespace pochta::store {

class FtsDb {
public:
    static std::filesystem::path file(const std::filesystem::path& data_dir, int64_t user_id);
    // For reading: nullptr when the user has no index yet.
    static std::unique_ptr<FtsDb> open_existing(const std::filesystem::path& data_dir, int64_t user_id);
    // For writing: created when missing (with data_dir/fts).
    static std::unique_ptr<FtsDb> open_or_create(const std::filesystem::path& data_dir, int64_t user_id);

    Db& db() { return *db_; }

    // True when the message was looked at (indexed or found too large).
    bool has(int64_t message_id);
    // Records the message; `text` null: not indexed (too large, unreadable).
    void add(int64_t message_id, const IndexedText* text);
    void remove(int64_t message_id);
    void clear();

    // Call inside one read transaction so `indexed` and the matches agree.
    TextIndexResult search(int64_t min_id, int64_t max_id, const std::vector<TextKey>& keys);

private:
    explicit FtsDb(std::unique_ptr<Db> db) : db_(std::move(db)) {}
    std::unique_ptr<Db> db_;
};

// An FTS5 query for the exact substring `folded` in the key's columns.
std::string fts_match_expression(const TextKey& key);

}  // namespace pochta::store
