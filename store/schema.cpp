#include "store/schema.hpp"

#include <fmt/format.h>

#include <array>
#include <vector>

#include "common/util/log.hpp"
#include "common/util/strings.hpp"
#include "store/message_prep.hpp"

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

// Migration 2: what IMAP needs beyond delivery and POP3.
// - crlf_size is per message row (not per blob) so list_messages needs no join.
// - The MIME structure is per blob: identical bytes have one structure, and
//   a message sent to 500 users is parsed once. NULL = not parsed yet.
// - Subscriptions are names, not mailbox rows: they may outlive or predate
//   the mailbox (RFC 3501 6.3.6), so the old mailboxes.subscribed goes.
// - recent_floor: UIDs at or above it are still \Recent (see claim_recent).
// - mailbox_id_last / message_id_last: new rows take ids from these, so an
//   id is never reused after its row went (SQLite would reuse the largest);
//   a session holding a stale id then finds nothing instead of another row.
constexpr const char* migration_2 = R"sql(
ALTER TABLE messages ADD COLUMN crlf_size INTEGER NOT NULL DEFAULT 0;
ALTER TABLE blobs ADD COLUMN structure BLOB;
ALTER TABLE mailboxes ADD COLUMN recent_floor INTEGER NOT NULL DEFAULT 1;

CREATE TABLE subscriptions (
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name    TEXT NOT NULL,
    PRIMARY KEY (user_id, name)
) WITHOUT ROWID;
INSERT INTO subscriptions(user_id, name) SELECT user_id, name FROM mailboxes WHERE subscribed <> 0;
ALTER TABLE mailboxes DROP COLUMN subscribed;

CREATE INDEX messages_by_modseq ON messages(mailbox_id, modseq);

INSERT INTO meta(key, value) VALUES
    ('mailbox_id_last', (SELECT coalesce(max(id), 0) FROM mailboxes)),
    ('message_id_last', (SELECT coalesce(max(id), 0) FROM messages));
)sql";

// Migration 3: a protocol's summary per blob beside its structure (see
// Options::summarize); NULL = not made yet, made on first read.
constexpr const char* migration_3 = R"sql(
ALTER TABLE blobs ADD COLUMN summary BLOB;
)sql";

// Migration 4: the spam filter's memory (README.md, "Spam"), per user and
// gone with the user. Tokens are 64-bit hashes (spam/tokenizer.hpp), so
// rows have a fixed size and no words of anyone's mail are kept in clear.
// spam_learnt remembers which way each message was learnt, by content
// hash, so moving it to Junk twice counts once.
constexpr const char* migration_4 = R"sql(
CREATE TABLE spam_corpus (
    user_id       INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    spam_messages INTEGER NOT NULL DEFAULT 0,
    ham_messages  INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE spam_tokens (
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token   INTEGER NOT NULL,
    spam    INTEGER NOT NULL DEFAULT 0,
    ham     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, token)
) WITHOUT ROWID;
CREATE TABLE spam_learnt (
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    digest  TEXT NOT NULL,
    spam    INTEGER NOT NULL,
    PRIMARY KEY (user_id, digest)
) WITHOUT ROWID;
CREATE TABLE sender_history (
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind    TEXT NOT NULL,
    value   TEXT NOT NULL,
    good    INTEGER NOT NULL DEFAULT 0,
    bad     INTEGER NOT NULL DEFAULT 0,
    sent    INTEGER NOT NULL DEFAULT 0,
    last    INTEGER NOT NULL,
    PRIMARY KEY (user_id, kind, value)
) WITHOUT ROWID;
CREATE TABLE greylist (
    triplet    TEXT PRIMARY KEY,
    first_seen INTEGER NOT NULL,
    passed     INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
)sql";

// Migration 5: users' Sieve scripts (README.md, "ManageSieve"), gone with
// the user. The partial unique index makes "at most one active script per
// user" a rule of the index, not of the code.
constexpr const char* migration_5 = R"sql(
CREATE TABLE sieve_scripts (
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name    TEXT NOT NULL,
    source  BLOB NOT NULL,
    active  INTEGER NOT NULL DEFAULT 0,
    updated INTEGER NOT NULL,
    PRIMARY KEY (user_id, name)
) WITHOUT ROWID;
CREATE UNIQUE INDEX sieve_scripts_one_active ON sieve_scripts(user_id) WHERE active <> 0;
)sql";

// Migration 6: the corpus row's generation, changed by every lesson, so
// the token counts cached in memory (store/spam_token_cache.hpp) are
// known to be current; when a passed greylisting triplet was last seen,
// so old triplets can go (README.md, "Greylisting").
constexpr const char* migration_6 = R"sql(
ALTER TABLE spam_corpus ADD COLUMN generation INTEGER NOT NULL DEFAULT 0;
ALTER TABLE greylist ADD COLUMN last_seen INTEGER NOT NULL DEFAULT 0;
UPDATE greylist SET last_seen = first_seen;
)sql";

// Migration 7: expunge tombstones are pruned (Options::expunge_history);
// expunge_horizon is the highest MODSEQ that may have lost some, so QRESYNC
// answers below it from the UIDs that still exist (README.md, "IMAP").
// save_date: when the message came into its mailbox (SAVEDATE, RFC 8514);
// NULL for rows older than this column (SAVEDATE NIL).
constexpr const char* migration_7 = R"sql(
ALTER TABLE mailboxes ADD COLUMN expunge_horizon INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN save_date INTEGER;
)sql";

// Migration 8: what the full-text indexer (store/fts_indexer.hpp) must
// remove from users' indexes. Triggers log each message row that goes, with
// its user: on an expunge the mailbox still exists; when a mailbox (or a
// user, whose mailboxes go by cascade) is deleted, its messages are logged
// before the cascade removes them and their mailbox is gone.
constexpr const char* migration_8 = R"sql(
CREATE TABLE fts_gone (
    message_id INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL
);
CREATE TRIGGER fts_gone_message AFTER DELETE ON messages BEGIN
    INSERT OR IGNORE INTO fts_gone(message_id, user_id)
        SELECT old.id, user_id FROM mailboxes WHERE id = old.mailbox_id;
END;
CREATE TRIGGER fts_gone_mailbox BEFORE DELETE ON mailboxes BEGIN
    INSERT OR IGNORE INTO fts_gone(message_id, user_id)
        SELECT id, old.user_id FROM messages WHERE mailbox_id = old.id;
END;
)sql";

// Migration 9: QUOTA (README.md, "IMAP": QUOTA). Each user's usage is kept
// by triggers as message rows come and go (a mailbox deleted cascades to
// its rows, and SQLite fires triggers for those deletes too), so checking
// a quota is one row read, not a sum over 50,000 messages. `warned`
// remembers that the fill-level warning went out.
constexpr const char* migration_9 = R"sql(
CREATE TABLE quota_usage (
    user_id  INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    bytes    INTEGER NOT NULL DEFAULT 0,
    messages INTEGER NOT NULL DEFAULT 0,
    warned   INTEGER NOT NULL DEFAULT 0
);
INSERT INTO quota_usage(user_id, bytes, messages)
    SELECT u.id, COALESCE(SUM(m.size), 0), COUNT(m.id)
    FROM users u LEFT JOIN mailboxes b ON b.user_id = u.id LEFT JOIN messages m ON m.mailbox_id = b.id
    GROUP BY u.id;
CREATE TRIGGER quota_user_added AFTER INSERT ON users BEGIN
    INSERT OR IGNORE INTO quota_usage(user_id) VALUES (NEW.id);
END;
CREATE TRIGGER quota_message_added AFTER INSERT ON messages BEGIN
    UPDATE quota_usage SET bytes = bytes + NEW.size, messages = messages + 1
    WHERE user_id = (SELECT user_id FROM mailboxes WHERE id = NEW.mailbox_id);
END;
CREATE TRIGGER quota_message_removed AFTER DELETE ON messages BEGIN
    UPDATE quota_usage SET bytes = bytes - OLD.size, messages = messages - 1
    WHERE user_id = (SELECT user_id FROM mailboxes WHERE id = OLD.mailbox_id);
END;
CREATE TRIGGER quota_message_moved AFTER UPDATE OF mailbox_id ON messages
WHEN (SELECT user_id FROM mailboxes WHERE id = OLD.mailbox_id) IS NOT (SELECT user_id FROM mailboxes WHERE id = NEW.mailbox_id)
BEGIN
    UPDATE quota_usage SET bytes = bytes - OLD.size, messages = messages - 1
    WHERE user_id = (SELECT user_id FROM mailboxes WHERE id = OLD.mailbox_id);
    UPDATE quota_usage SET bytes = bytes + NEW.size, messages = messages + 1
    WHERE user_id = (SELECT user_id FROM mailboxes WHERE id = NEW.mailbox_id);
END;
)sql";

// Migration 10: what delivery remembers for Sieve (README.md, "Sieve at
// delivery"): duplicate-test marks and one-time notices, gone with the user.
constexpr const char* migration_10 = R"sql(
CREATE TABLE sieve_marks (
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    key     TEXT NOT NULL,
    expires INTEGER NOT NULL,
    PRIMARY KEY (user_id, key)
) WITHOUT ROWID;
)sql";

// Migration 11: vacation replies (README.md, "Vacation and forwarding"):
// when each sender may get the next reply under each handle, and the
// settings behind the scripts `pochta vacation` and `pochta forward` write.
// Both go with the user.
constexpr const char* migration_11 = R"sql(
CREATE TABLE vacation_replies (
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    handle  TEXT NOT NULL,  -- SHA-256 of the vacation action's handle
    sender  TEXT NOT NULL,
    next    INTEGER NOT NULL,
    PRIMARY KEY (user_id, handle, sender)
) WITHOUT ROWID;
CREATE TABLE managed_sieve (
    user_id          INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    own_script       TEXT NOT NULL,
    forward_to       TEXT NOT NULL,
    forward_keep     INTEGER NOT NULL,
    vacation         INTEGER NOT NULL,
    vacation_subject TEXT NOT NULL,
    vacation_message TEXT NOT NULL,
    vacation_until   TEXT NOT NULL,
    vacation_days    INTEGER NOT NULL
);
)sql";

// Migration 12: mailing lists (README.md, "Mailing lists"; store/list_ops.cpp).
constexpr const char* migration_12 = R"sql(
CREATE TABLE lists (
    id      INTEGER PRIMARY KEY,
    address TEXT NOT NULL UNIQUE
);
CREATE TABLE list_people (
    list_id  INTEGER NOT NULL REFERENCES lists(id) ON DELETE CASCADE,
    address  TEXT NOT NULL,
    roles    INTEGER NOT NULL,
    delivery INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (list_id, address)
) WITHOUT ROWID;
CREATE TABLE list_settings (
    list_id INTEGER NOT NULL REFERENCES lists(id) ON DELETE CASCADE,
    name    TEXT NOT NULL,
    value   TEXT NOT NULL,
    PRIMARY KEY (list_id, name)
) WITHOUT ROWID;
CREATE TABLE list_log (
    list_id INTEGER NOT NULL REFERENCES lists(id) ON DELETE CASCADE,
    time    INTEGER NOT NULL,
    actor   TEXT NOT NULL,
    action  TEXT NOT NULL
);
CREATE INDEX list_log_by_list ON list_log(list_id, time);
-- AUTOINCREMENT: ids are named by tokens, so one is never reused.
CREATE TABLE list_pending (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    list_id INTEGER NOT NULL REFERENCES lists(id) ON DELETE CASCADE,
    kind    INTEGER NOT NULL,
    address TEXT NOT NULL,
    data    BLOB NOT NULL,
    created INTEGER NOT NULL,
    expires INTEGER NOT NULL
);
CREATE INDEX list_pending_by_kind ON list_pending(kind, id);
)sql";

// Migration 13: what SORT and THREAD compare of each blob (Options::sort_keys,
// README.md "IMAP": SORT and THREAD), in a table of its own so reading them
// for 50,000 messages does not walk the blobs' data. Rows of older blobs
// are made when a SORT first needs them (SqliteStore::sort_key_rows).
constexpr const char* migration_13 = R"sql(
CREATE TABLE sort_keys (
    blob_id INTEGER PRIMARY KEY,
    keys    BLOB NOT NULL
);
CREATE TRIGGER sort_keys_gone AFTER DELETE ON blobs BEGIN
    DELETE FROM sort_keys WHERE blob_id = old.id;
END;
)sql";

// Migration 15: mailing-list bounces and digests (README.md, "Mailing
// lists", "Bounces" and "Digests"; store/list_bounce_ops.cpp): when a
// member's delivery was stopped, the days with a hard bounce, and the
// posts waiting for the next digest.
constexpr const char* migration_15 = R"sql(
ALTER TABLE list_people ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;
CREATE TABLE list_bounces (
    list_id INTEGER NOT NULL REFERENCES lists(id) ON DELETE CASCADE,
    address TEXT NOT NULL,
    day     INTEGER NOT NULL,
    PRIMARY KEY (list_id, address, day)
) WITHOUT ROWID;
CREATE TABLE list_digest (
    id      INTEGER PRIMARY KEY,
    list_id INTEGER NOT NULL REFERENCES lists(id) ON DELETE CASCADE,
    created INTEGER NOT NULL,
    data    BLOB NOT NULL
);
CREATE INDEX list_digest_by_list ON list_digest(list_id, id);
)sql";

// Migration 16: list archives (store/list_archive.cpp) find the lists of
// the person who logs in.
constexpr const char* migration_16 = R"sql(
CREATE INDEX list_people_by_address ON list_people(address);
)sql";

// Fills crlf_size of the rows migration 2 found, once per distinct blob;
// file blobs are read in pieces. A blob that cannot be read keeps its
// plain size: that only skews a size report, and reading it fails anyway.
void fill_crlf_sizes(Db& db, const BlobFiles& files) {
    struct Pending {
        int64_t id;
        uint64_t crlf;
    };
    std::vector<Pending> done;
    {
        auto q = db.cached(
            "SELECT id, sha256, size, inline_data FROM blobs WHERE id IN (SELECT blob_id FROM messages)");
        while (q->step()) {
            const auto size = static_cast<uint64_t>(q->int64(2));
            uint64_t crlf = size;
            if (auto data = q->blob(3)) {
                crlf = crlf_size_of(*data);
            } else {
                try {
                    CrlfCounter counter;
                    files.scan(q->text(1), size, [&](std::string_view piece) { counter.feed(piece); });
                    crlf = counter.total();
                } catch (const std::exception& e) {
                    log::warn("store: migration cannot read blob {}: {}", q->text(1), e.what());
                }
            }
            done.push_back({q->int64(0), crlf});
        }
    }
    auto q = db.cached("UPDATE messages SET crlf_size = ?2 WHERE blob_id = ?1");
    for (const auto& p : done) {
        q->reset();
        q->bind(1, p.id).bind(2, static_cast<int64_t>(p.crlf)).run();
    }
}

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

// Migration 14: a queue entry's own header fields, relayed before its
// blob's content (store/queue_ops.cpp): one blob for all copies of a list
// post, each member's List-Unsubscribe beside it (README.md, "Mailing lists").
constexpr const char* migration_14 = R"sql(
ALTER TABLE queue ADD COLUMN header_prefix TEXT NOT NULL DEFAULT '';
)sql";

using Migration = void (*)(Db&, const BlobFiles&);

const std::array<Migration, 16> migrations{{
    [](Db& db, const BlobFiles&) {
        db.exec(migration_1);
        seed_meta(db);
    },
    [](Db& db, const BlobFiles& files) {
        db.exec(migration_2);
        fill_crlf_sizes(db, files);
    },
    [](Db& db, const BlobFiles&) { db.exec(migration_3); },
    [](Db& db, const BlobFiles&) { db.exec(migration_4); },
    [](Db& db, const BlobFiles&) { db.exec(migration_5); },
    [](Db& db, const BlobFiles&) { db.exec(migration_6); },
    [](Db& db, const BlobFiles&) { db.exec(migration_7); },
    [](Db& db, const BlobFiles&) { db.exec(migration_8); },
    [](Db& db, const BlobFiles&) { db.exec(migration_9); },
    [](Db& db, const BlobFiles&) { db.exec(migration_10); },
    [](Db& db, const BlobFiles&) { db.exec(migration_11); },
    [](Db& db, const BlobFiles&) { db.exec(migration_12); },
    [](Db& db, const BlobFiles&) { db.exec(migration_13); },
    [](Db& db, const BlobFiles&) { db.exec(migration_14); },
    [](Db& db, const BlobFiles&) { db.exec(migration_15); },
    [](Db& db, const BlobFiles&) { db.exec(migration_16); },
}};

}  // namespace

int schema_version() { return static_cast<int>(migrations.size()); }

void migrate(Db& db, const BlobFiles& files, int target) {
    if (target < 0 || target > schema_version()) throw StoreError(fmt::format("no schema version {}", target));
    // IMMEDIATE: two processes opening a fresh store must not both migrate.
    Txn txn(db, Txn::Kind::immediate);
    const int64_t current = db.query_int("PRAGMA user_version");
    if (current > schema_version())
        throw StoreError(fmt::format("index.db has schema version {}, this pochta knows up to {}",
                                     current, schema_version()));
    if (current >= target) return;  // the Txn rolls back an empty transaction
    for (int64_t v = current; v < target; ++v) migrations[static_cast<size_t>(v)](db, files);
    db.exec(fmt::format("PRAGMA user_version={}", target).c_str());
    txn.commit();
    log::info("store: index schema migrated from version {} to {}", current, target);
}

}  // namespace pochta::store
