#include "store/fts_db.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace pochta::store {

namespace fs = std::filesystem;

namespace {

constexpr const char* schema = R"sql(
CREATE TABLE IF NOT EXISTS docs (
    message_id INTEGER PRIMARY KEY,
    indexed    INTEGER NOT NULL
);
CREATE VIRTUAL TABLE IF NOT EXISTS text USING fts5(
    header, fields, body, tokenize = 'trigram case_sensitive 1', detail = full
);
)sql";

fs::path fts_dir(const fs::path& data_dir) { return data_dir / "fts"; }

}  // namespace

fs::path FtsDb::file(const fs::path& data_dir, int64_t user_id) {
    return fts_dir(data_dir) / fmt::format("{}.db", user_id);
}

std::unique_ptr<FtsDb> FtsDb::open_existing(const fs::path& data_dir, int64_t user_id) {
    const fs::path path = file(data_dir, user_id);
    std::error_code ec;
    if (!fs::exists(path, ec)) return nullptr;
    auto db = std::make_unique<Db>(path, Db::Role::reader);
    // Created a moment ago, its tables not yet (or only `docs`: the schema's
    // statements commit one by one): nothing indexed either.
    if (db->query_int("SELECT count(*) FROM sqlite_master WHERE name IN ('docs', 'text')") < 2) return nullptr;
    return std::unique_ptr<FtsDb>(new FtsDb(std::move(db)));
}

std::unique_ptr<FtsDb> FtsDb::open_or_create(const fs::path& data_dir, int64_t user_id) {
    if (::mkdir(fts_dir(data_dir).c_str(), 0700) != 0 && errno != EEXIST)
        throw StoreError(fmt::format("mkdir {}: {}", fts_dir(data_dir).string(), std::strerror(errno)));
    auto db = std::make_unique<Db>(file(data_dir, user_id), Db::Role::writer);
    // The index is derived data, rebuilt by `pochta index rebuild` after a
    // loss: no fsync per commit, and SQLite's own checkpoints.
    db->exec("PRAGMA synchronous=NORMAL");
    db->exec("PRAGMA wal_autocheckpoint=1000");
    db->exec(schema);
    return std::unique_ptr<FtsDb>(new FtsDb(std::move(db)));
}

bool FtsDb::has(int64_t message_id) {
    auto q = db_->cached("SELECT 1 FROM docs WHERE message_id = ?1");
    q->bind(1, message_id);
    return q->step();
}

void FtsDb::add(int64_t message_id, const IndexedText* text) {
    {
        auto q = db_->cached("INSERT OR REPLACE INTO docs(message_id, indexed) VALUES (?1, ?2)");
        q->bind(1, message_id).bind(2, int64_t{text != nullptr}).run();
    }
    auto q = db_->cached("INSERT OR REPLACE INTO text(rowid, header, fields, body) VALUES (?1, ?2, ?3, ?4)");
    q->bind(1, message_id);
    if (text) {
        q->bind(2, text->header).bind(3, text->fields).bind(4, text->body).run();
    } else {
        q->bind(2, "").bind(3, "").bind(4, "").run();  // keeps remove() one path
    }
}

void FtsDb::remove(int64_t message_id) {
    {
        auto q = db_->cached("DELETE FROM docs WHERE message_id = ?1");
        q->bind(1, message_id).run();
    }
    auto q = db_->cached("DELETE FROM text WHERE rowid = ?1");
    q->bind(1, message_id).run();
}

void FtsDb::clear() {
    db_->exec("DELETE FROM docs");
    db_->exec("DELETE FROM text");
}

std::string fts_match_expression(const TextKey& key) {
    std::string phrase = "\"";
    for (char c : key.folded) {
        if (c == '"') phrase += '"';  // FTS5 strings double their quotes
        phrase += c;
    }
    phrase += '"';
    switch (key.scope) {
        case TextScope::body: return "{body} : " + phrase;
        case TextScope::text: return "{header body} : " + phrase;
        case TextScope::fields: return "{header fields} : " + phrase;
    }
    return phrase;
}

TextIndexResult FtsDb::search(int64_t min_id, int64_t max_id, const std::vector<TextKey>& keys) {
    TextIndexResult result;
    {
        auto q = db_->cached(
            "SELECT message_id FROM docs WHERE message_id BETWEEN ?1 AND ?2 AND indexed <> 0 ORDER BY message_id");
        q->bind(1, min_id).bind(2, max_id);
        while (q->step()) result.indexed.push_back(q->int64(0));
    }
    for (const TextKey& key : keys) {
        std::vector<int64_t>& ids = result.matches.emplace_back();
        auto q = db_->cached("SELECT rowid FROM text WHERE text MATCH ?1 ORDER BY rowid");
        q->bind(1, fts_match_expression(key));
        while (q->step()) ids.push_back(q->int64(0));
    }
    return result;
}

}  // namespace pochta::store
