// Mailing-list bounces and digests in the index (README.md, "Mailing
// lists", "Bounces" and "Digests"): a member's days with a hard bounce
// and the stop of their delivery in one transaction with its log line,
// and the posts kept for the next digest.
#include <fmt/format.h>
#include <sqlite3.h>

#include "common/util/strings.hpp"
#include "store/sqlite_store.hpp"

namespace pochta::store {

namespace {

void log_bounce_change(Db& db, const std::string& list, const std::string& actor, const std::string& action) {
    auto q = db.cached("INSERT INTO list_log(list_id, time, actor, action) VALUES ((SELECT id FROM lists WHERE address = ?1), ?2, ?3, ?4)");
    q->bind(1, list).bind(2, unix_now()).bind(3, actor).bind(4, action).run();
}

}  // namespace

ListBounceScore SqliteStore::record_list_bounce(const std::string& list, const std::string& member, int64_t day,
                                                int64_t window_days, int64_t threshold) {
    ListBounceScore out;
    write([&](WriteOps& ops) {
        Db& db = ops.db();
        auto person = db.cached(
            "SELECT disabled FROM list_people WHERE list_id = (SELECT id FROM lists WHERE address = ?1) AND address = ?2 AND roles & ?3");
        person->bind(1, list).bind(2, member).bind(3, int64_t{list_member});
        if (!person->step()) return;
        const bool disabled = person->int64(0) != 0;
        auto add = db.cached(
            "INSERT OR IGNORE INTO list_bounces(list_id, address, day) VALUES ((SELECT id FROM lists WHERE address = ?1), ?2, ?3)");
        add->bind(1, list).bind(2, member).bind(3, day).run();
        auto forget = db.cached(
            "DELETE FROM list_bounces WHERE list_id = (SELECT id FROM lists WHERE address = ?1) AND address = ?2 AND day <= ?3");
        forget->bind(1, list).bind(2, member).bind(3, day - window_days).run();
        auto count = db.cached(
            "SELECT count(*) FROM list_bounces WHERE list_id = (SELECT id FROM lists WHERE address = ?1) AND address = ?2");
        count->bind(1, list).bind(2, member);
        out.score = count->step() ? count->int64(0) : 0;
        if (disabled || out.score < threshold) return;
        auto stop = db.cached(
            "UPDATE list_people SET disabled = ?3 WHERE list_id = (SELECT id FROM lists WHERE address = ?1) AND address = ?2");
        stop->bind(1, list).bind(2, member).bind(3, unix_now()).run();
        log_bounce_change(db, list, "bounces",
                          fmt::format("disable {} after bounces on {} days", member, out.score));
        out.disabled_now = true;
    });
    return out;
}

bool SqliteStore::enable_list_member(const std::string& list, const std::string& member, const std::string& actor) {
    bool found = false;
    write([&](WriteOps& ops) {
        Db& db = ops.db();
        auto enable = db.cached(
            "UPDATE list_people SET disabled = 0 WHERE list_id = (SELECT id FROM lists WHERE address = ?1) AND address = ?2");
        enable->bind(1, list).bind(2, member).run();
        found = sqlite3_changes(db.handle()) > 0;
        if (!found) return;
        auto forget = db.cached(
            "DELETE FROM list_bounces WHERE list_id = (SELECT id FROM lists WHERE address = ?1) AND address = ?2");
        forget->bind(1, list).bind(2, member).run();
        log_bounce_change(db, list, actor, "enable " + member);
    });
    return found;
}

void SqliteStore::add_list_digest_post(const std::string& list, const std::string& data) {
    write([&](WriteOps& ops) {
        Db& db = ops.db();
        auto q = db.cached(
            "INSERT INTO list_digest(list_id, created, data) SELECT id, ?2, ?3 FROM lists WHERE address = ?1");
        q->bind(1, list).bind(2, unix_now()).bind_blob(3, data).run();
        if (sqlite3_changes(db.handle()) == 0)
            throw StoreError(fmt::format("no list {}", list), ErrorKind::nonexistent);
    });
}

std::vector<ListDigestPost> SqliteStore::list_digest_posts(const std::string& list, size_t max_posts,
                                                           size_t max_bytes, bool with_data) {
    auto db = readers_->acquire();
    std::vector<ListDigestPost> out;
    size_t bytes = 0;
    auto q = db->cached(
        "SELECT id, created, length(data) FROM list_digest WHERE list_id = (SELECT id FROM lists WHERE address = ?1) ORDER BY id LIMIT ?2");
    q->bind(1, list).bind(2, static_cast<int64_t>(max_posts));
    while (q->step()) {
        bytes += static_cast<size_t>(q->int64(2));
        if (!out.empty() && bytes > max_bytes) break;
        out.push_back({q->int64(0), q->int64(1), {}});
    }
    if (!with_data) return out;
    // The data is read only for the posts that fit.
    auto data = db->cached("SELECT data FROM list_digest WHERE id = ?1");
    for (auto& post : out) {
        data->reset();
        data->bind(1, post.id);
        if (data->step()) post.data = data->blob(0).value_or(std::string());
    }
    return out;
}

void SqliteStore::remove_list_digest_posts(const std::string& list, int64_t last_id) {
    write([&](WriteOps& ops) {
        auto q = ops.db().cached(
            "DELETE FROM list_digest WHERE list_id = (SELECT id FROM lists WHERE address = ?1) AND id <= ?2");
        q->bind(1, list).bind(2, last_id).run();
    });
}

std::vector<std::string> SqliteStore::lists_with_digest_posts() {
    auto db = readers_->acquire();
    std::vector<std::string> out;
    auto q = db->cached("SELECT address FROM lists WHERE id IN (SELECT DISTINCT list_id FROM list_digest) ORDER BY address");
    while (q->step()) out.push_back(q->text(0));
    return out;
}

}  // namespace pochta::store
