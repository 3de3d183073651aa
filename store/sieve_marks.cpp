// What delivery remembers per user for Sieve (README.md, "Sieve at
// delivery"): marks by key with an expiry, for the duplicate test and for
// notices sent once. Expired marks are overwritten when marked again.
#include "store/sqlite_store.hpp"
#include "store/write_ops.hpp"

namespace pochta::store {

bool SqliteStore::sieve_marked(const std::string& user, const std::string& key, int64_t now) {
    auto db = readers_->acquire();
    auto q = db->cached(
        "SELECT 1 FROM sieve_marks m JOIN users u ON u.id = m.user_id "
        "WHERE u.address = ?1 AND m.key = ?2 AND m.expires > ?3");
    q->bind(1, user).bind(2, key).bind(3, now);
    return q->step();
}

void SqliteStore::sieve_mark(const std::string& user, const std::vector<SieveMark>& marks, int64_t now) {
    if (marks.empty()) return;
    write([&](WriteOps& ops) {
        ops.ensure_user(user);
        Db& db = ops.db();
        int64_t id = 0;
        {
            auto q = db.cached("SELECT id FROM users WHERE address = ?1");
            q->bind(1, user);
            if (!q->step()) return;
            id = q->int64(0);
        }
        // RFC 7352 3.1: the period runs from the first sighting unless
        // :last; an expired mark starts a new period.
        auto q = db.cached(
            "INSERT INTO sieve_marks(user_id, key, expires) VALUES (?1, ?2, ?3) "
            "ON CONFLICT(user_id, key) DO UPDATE SET expires = "
            "CASE WHEN ?4 <> 0 OR expires <= ?5 THEN excluded.expires ELSE expires END");
        for (const auto& mark : marks) {
            q->reset();
            q->bind(1, id).bind(2, mark.key).bind(3, mark.expires);
            q->bind(4, int64_t{mark.refresh ? 1 : 0}).bind(5, now).run();
        }
    });
}

}  // namespace pochta::store
