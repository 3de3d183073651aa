// Mailing lists in the index (README.md, "Mailing lists"): reads on a
// pooled reader in one snapshot, writes through the group writer with the
// change and its log line in one transaction, so the log never misses a
// change nor records one that did not happen.
#include <fmt/format.h>
#include <sqlite3.h>

#include "common/util/log.hpp"
#include "common/util/strings.hpp"
#include "store/list_archive.hpp"
#include "store/sqlite_store.hpp"

namespace pochta::store {

namespace {

int64_t find_list_id(Db& db, const std::string& list) {
    auto q = db.cached("SELECT id FROM lists WHERE address = ?1");
    q->bind(1, list);
    return q->step() ? q->int64(0) : 0;
}

int64_t require_list(Db& db, const std::string& list) {
    const int64_t id = find_list_id(db, list);
    if (id == 0) throw StoreError(fmt::format("no list {}", list), ErrorKind::nonexistent);
    return id;
}

void log_change(Db& db, int64_t list_id, const std::string& actor, const std::string& action) {
    auto q = db.cached("INSERT INTO list_log(list_id, time, actor, action) VALUES (?1, ?2, ?3, ?4)");
    q->bind(1, list_id).bind(2, unix_now()).bind(3, actor).bind(4, action).run();
}

std::vector<ListPerson> read_people(Db& db, int64_t list_id) {
    std::vector<ListPerson> out;
    auto q = db.cached(
        "SELECT address, roles, delivery, disabled FROM list_people WHERE list_id = ?1 ORDER BY address");
    q->bind(1, list_id);
    while (q->step())
        out.push_back({q->text(0), static_cast<uint32_t>(q->int64(1)), static_cast<ListDelivery>(q->int64(2)),
                       q->int64(3)});
    return out;
}

constexpr const char* pending_row =
    "SELECT l.address, p.kind, p.address, p.data, p.created, p.expires FROM list_pending p "
    "JOIN lists l ON l.id = p.list_id WHERE p.id = ?1";

std::optional<ListPending> read_pending(Db& db, int64_t id) {
    auto q = db.cached(pending_row);
    q->bind(1, id);
    if (!q->step()) return std::nullopt;
    return ListPending{id, q->text(0), static_cast<ListPendingKind>(q->int64(1)), q->text(2),
                       q->blob(3).value_or(std::string()), q->int64(4), q->int64(5)};
}

std::map<std::string, std::string> read_settings(Db& db, int64_t list_id) {
    std::map<std::string, std::string> out;
    auto q = db.cached("SELECT name, value FROM list_settings WHERE list_id = ?1");
    q->bind(1, list_id);
    while (q->step()) out[q->text(0)] = q->text(1);
    return out;
}

}  // namespace

std::string describe_roles(uint32_t roles) {
    std::string out;
    for (auto [bit, name] : {std::pair{list_member, "member"}, {list_moderator, "moderator"}, {list_owner, "owner"}})
        if (roles & bit) out += out.empty() ? name : std::string(",") + name;
    return out.empty() ? "none" : out;
}

std::string_view describe_delivery(ListDelivery delivery) {
    return delivery == ListDelivery::on ? "on" : delivery == ListDelivery::off ? "off" : "digest";
}

void SqliteStore::create_list(const std::string& list, const std::string& actor) {
    write([&](WriteOps& ops) {
        Db& db = ops.db();
        if (find_list_id(db, list) != 0)
            throw StoreError(fmt::format("list {} exists already", list), ErrorKind::already_exists);
        auto q = db.cached("INSERT INTO lists(address) VALUES (?1)");
        q->bind(1, list).run();
        log_change(db, sqlite3_last_insert_rowid(db.handle()), actor, "create");
    });
}

void SqliteStore::delete_list(const std::string& list, const std::string& actor) {
    write([&](WriteOps& ops) {
        Db& db = ops.db();
        require_list(db, list);
        auto q = db.cached("DELETE FROM lists WHERE address = ?1");
        q->bind(1, list).run();
        ops.purge_user(list_archive_owner(list));  // a list made again later starts with an empty archive
    });
    // The list's own log goes with it; the server log keeps the deletion.
    log::info("list {} deleted by {}", list, actor);
}

std::optional<MailingList> SqliteStore::find_list(const std::string& list) {
    auto db = readers_->acquire();
    Txn snapshot(*db, Txn::Kind::deferred);
    const int64_t id = find_list_id(*db, list);
    if (id == 0) return std::nullopt;
    return MailingList{id, list, read_settings(*db, id), read_people(*db, id)};
}

std::vector<std::string> SqliteStore::list_names() {
    auto db = readers_->acquire();
    std::vector<std::string> out;
    auto q = db->cached("SELECT address FROM lists ORDER BY address");
    while (q->step()) out.push_back(q->text(0));
    return out;
}

void SqliteStore::set_list_person(const std::string& list, const ListPerson& person, const std::string& actor) {
    write([&](WriteOps& ops) {
        Db& db = ops.db();
        const int64_t id = require_list(db, list);
        if (person.roles == 0) {
            auto q = db.cached("DELETE FROM list_people WHERE list_id = ?1 AND address = ?2");
            q->bind(1, id).bind(2, person.address).run();
            if (sqlite3_changes(db.handle()) > 0) log_change(db, id, actor, "remove " + person.address);
            return;
        }
        auto q = db.cached(
            "INSERT INTO list_people(list_id, address, roles, delivery) VALUES (?1, ?2, ?3, ?4) "
            "ON CONFLICT(list_id, address) DO UPDATE SET roles = ?3, delivery = ?4");
        q->bind(1, id).bind(2, person.address).bind(3, int64_t{person.roles})
            .bind(4, static_cast<int64_t>(person.delivery)).run();
        log_change(db, id, actor,
                   fmt::format("set {} {} delivery={}", person.address, describe_roles(person.roles),
                               describe_delivery(person.delivery)));
    });
}

void SqliteStore::set_list_setting(const std::string& list, const std::string& name, const std::string& value,
                                   const std::string& actor) {
    write([&](WriteOps& ops) {
        Db& db = ops.db();
        const int64_t id = require_list(db, list);
        if (value.empty()) {
            auto q = db.cached("DELETE FROM list_settings WHERE list_id = ?1 AND name = ?2");
            q->bind(1, id).bind(2, name).run();
        } else {
            auto q = db.cached(
                "INSERT INTO list_settings(list_id, name, value) VALUES (?1, ?2, ?3) "
                "ON CONFLICT(list_id, name) DO UPDATE SET value = ?3");
            q->bind(1, id).bind(2, name).bind(3, value).run();
        }
        log_change(db, id, actor, fmt::format("setting {}={}", name, value.empty() ? "(default)" : value));
    });
}

std::vector<ListEvent> SqliteStore::list_events(const std::string& list, size_t max_events) {
    auto db = readers_->acquire();
    std::vector<ListEvent> out;
    auto q = db->cached(
        "SELECT time, actor, action FROM list_log WHERE list_id = (SELECT id FROM lists WHERE address = ?1) "
        "ORDER BY rowid DESC LIMIT ?2");
    q->bind(1, list).bind(2, static_cast<int64_t>(max_events));
    while (q->step()) out.push_back({q->int64(0), q->text(1), q->text(2)});
    return {out.rbegin(), out.rend()};
}

int64_t SqliteStore::add_list_pending(const ListPending& item) {
    int64_t id = 0;
    write([&](WriteOps& ops) {
        Db& db = ops.db();
        const int64_t list_id = require_list(db, item.list);
        auto q = db.cached(
            "INSERT INTO list_pending(list_id, kind, address, data, created, expires) "
            "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
        q->bind(1, list_id).bind(2, static_cast<int64_t>(item.kind)).bind(3, item.address)
            .bind_blob(4, item.data).bind(5, unix_now()).bind(6, item.expires).run();
        id = sqlite3_last_insert_rowid(db.handle());
    });
    return id;
}

std::optional<ListPending> SqliteStore::take_list_pending(int64_t id) {
    std::optional<ListPending> out;
    write([&](WriteOps& ops) {
        Db& db = ops.db();
        out = read_pending(db, id);
        if (!out) return;
        auto del = db.cached("DELETE FROM list_pending WHERE id = ?1");
        del->bind(1, id).run();
    });
    return out;
}

std::optional<ListPending> SqliteStore::read_list_pending(int64_t id) {
    auto db = readers_->acquire();
    return read_pending(*db, id);
}

std::vector<int64_t> SqliteStore::list_pending_ids(ListPendingKind kind, size_t max_items, int64_t expired_at) {
    auto db = readers_->acquire();
    std::vector<int64_t> out;
    auto q = db->cached(
        "SELECT id FROM list_pending WHERE kind = ?1 AND (?3 = 0 OR (expires > 0 AND expires <= ?3)) "
        "ORDER BY id LIMIT ?2");
    q->bind(1, static_cast<int64_t>(kind)).bind(2, static_cast<int64_t>(max_items)).bind(3, expired_at);
    while (q->step()) out.push_back(q->int64(0));
    return out;
}

std::string SqliteStore::list_secret() {
    {
        auto db = readers_->acquire();
        auto q = db->cached("SELECT value FROM meta WHERE key = 'list_secret'");
        if (q->step()) return q->text(0);
    }
    std::string secret;
    write([&](WriteOps& ops) {
        Db& db = ops.db();
        auto insert = db.cached("INSERT OR IGNORE INTO meta(key, value) VALUES ('list_secret', ?1)");
        insert->bind(1, random_hex(32)).run();
        auto q = db.cached("SELECT value FROM meta WHERE key = 'list_secret'");
        if (q->step()) secret = q->text(0);
    });
    return secret;
}

}  // namespace pochta::store
