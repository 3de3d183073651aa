#include "store/schema.hpp"

#include <fmt/format.h>

#include <array>

#include "common/util/log.hpp"
#include "common/util/strings.hpp"

namespace pochta::store {

namespace {

// Migration 1: everything. Notes on choices that are not obvious:
// - blobs.inline_data NULL means the bytes live in blobs/ab/cd/<sha256>;
//   a blob's references are counted by query (messages, queue), never by a
//   stored counter that could drift.
// - messages.pop3_uidl comes from a store-wide sequence in meta, not from
//   mailbox+uid, so it survives an IMAP MOVE unchanged.
// - meta.uidvalidity_last makes UIDVALIDITY strictly increasing store-wide:
//   a mailbox deleted and re-created never reuses an old value.
constexpr const char* migration_1 = R"sql(
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value NOT NULL          -- no type: counters stay integers, tags stay text
) WITHOUT ROWID;

CREATE TABLE users (
    id      INTEGER PRIMARY KEY,
    address TEXT NOT NULL UNIQUE,
    created INTEGER NOT NULL
);

CREATE TABLE mailboxes (
    id            INTEGER PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    uidvalidity   INTEGER NOT NULL,
    uidnext       INTEGER NOT NULL DEFAULT 1,
    highestmodseq INTEGER NOT NULL DEFAULT 0,
    special_use   INTEGER NOT NULL DEFAULT 0,
    subscribed    INTEGER NOT NULL DEFAULT 1,
    UNIQUE (user_id, name)
);

CREATE TABLE blobs (
    id          INTEGER PRIMARY KEY,
    sha256      TEXT NOT NULL UNIQUE,
    size        INTEGER NOT NULL,
    inline_data BLOB
);

CREATE TABLE messages (
    id            INTEGER PRIMARY KEY,
    mailbox_id    INTEGER NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
    uid           INTEGER NOT NULL,
    modseq        INTEGER NOT NULL,
    flags         INTEGER NOT NULL DEFAULT 0,
    keywords      TEXT NOT NULL DEFAULT '',
    internal_date INTEGER NOT NULL,
    size          INTEGER NOT NULL,
    blob_id       INTEGER NOT NULL REFERENCES blobs(id),
    pop3_uidl     TEXT NOT NULL,
    UNIQUE (mailbox_id, uid)
);
CREATE INDEX messages_by_blob ON messages(blob_id);

CREATE TABLE expunged (
    mailbox_id INTEGER NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
    uid        INTEGER NOT NULL,
    modseq     INTEGER NOT NULL,
    PRIMARY KEY (mailbox_id, uid)
) WITHOUT ROWID;
CREATE INDEX expunged_by_modseq ON expunged(mailbox_id, modseq);

CREATE TABLE queue (
    id            TEXT PRIMARY KEY,
    envelope_from TEXT NOT NULL,
    blob_id       INTEGER NOT NULL REFERENCES blobs(id),
    relay_skip    INTEGER NOT NULL DEFAULT 0,
    created       INTEGER NOT NULL,
    next_attempt  INTEGER NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0,
    last_reply    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX queue_by_blob ON queue(blob_id);
CREATE INDEX queue_by_due ON queue(next_attempt);

CREATE TABLE queue_rcpts (
    queue_id   TEXT NOT NULL REFERENCES queue(id) ON DELETE CASCADE,
    rcpt       TEXT NOT NULL,
    state      TEXT NOT NULL DEFAULT 'pending',
    last_reply TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (queue_id, rcpt)
);
)sql";

// Seeds meta. The tag is random per store, so UIDLs of a store built anew
// after a loss never collide with ones a POP3 client remembers.
void seed_meta(Db& db) {
    auto q = db.cached("INSERT INTO meta(key, value) VALUES (?1, ?2)");
    q->bind(1, "uidl_tag").bind(2, random_hex(4)).run();
    for (const char* counter : {"message_seq", "uidvalidity_last"}) {
        q->reset();
        q->bind(1, counter).bind(2, int64_t{0}).run();
    }
}

using Migration = void (*)(Db&);

const std::array<Migration, 1> migrations{{
    [](Db& db) {
        db.exec(migration_1);
        seed_meta(db);
    },
}};

}  // namespace

int schema_version() { return static_cast<int>(migrations.size()); }

void migrate(Db& db) {
    // IMMEDIATE: two processes opening a fresh store must not both migrate.
    Txn txn(db, Txn::Kind::immediate);
    const int64_t current = db.query_int("PRAGMA user_version");
    if (current > schema_version())
        throw StoreError(fmt::format("index.db has schema version {}, this pochta knows up to {}",
                                     current, schema_version()));
    if (current == schema_version()) return;  // the Txn rolls back an empty transaction
    for (int64_t v = current; v < schema_version(); ++v) migrations[static_cast<size_t>(v)](db);
    db.exec(fmt::format("PRAGMA user_version={}", schema_version()).c_str());
    txn.commit();
    log::info("store: index schema migrated from version {} to {}", current, schema_version());
}

}  // namespace pochta::store
