// Users' Sieve scripts in the index (README.md, "ManageSieve"): reads on a
// pooled reader in one snapshot, writes through the group writer, each
// change with its checks in one transaction, so two sessions of one user
// can never leave two active scripts or exceed the quota together.
#include <fmt/format.h>

#include "store/sqlite_store.hpp"

namespace pochta::store {

namespace {

// The code point at `i` (advancing it), or nullopt for invalid UTF-8
// (overlong forms, surrogates and values past U+10FFFF included).
std::optional<uint32_t> next_code_point(std::string_view s, size_t& i) {
    const auto lead = static_cast<unsigned char>(s[i++]);
    if (lead < 0x80) return lead;
    size_t extra = lead >= 0xF0 ? 3 : lead >= 0xE0 ? 2 : lead >= 0xC0 ? 1 : 0;
    if (extra == 0 || lead > 0xF4 || i + extra > s.size()) return std::nullopt;
    uint32_t cp = lead & (0x3F >> extra);
    for (size_t k = 0; k < extra; ++k) {
        const auto c = static_cast<unsigned char>(s[i++]);
        if ((c & 0xC0) != 0x80) return std::nullopt;
        cp = cp << 6 | (c & 0x3F);
    }
    static constexpr uint32_t smallest[] = {0, 0x80, 0x800, 0x10000};
    if (cp < smallest[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return std::nullopt;
    return cp;
}

bool forbidden_in_name(uint32_t cp) {
    return cp <= 0x1F || (cp >= 0x7F && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029;
}

void require_name(const std::string& name) {
    if (!valid_sieve_script_name(name))
        throw StoreError(fmt::format("invalid Sieve script name \"{}\"", name), ErrorKind::invalid);
}

int64_t find_user(Db& db, const std::string& user) {
    auto q = db.cached("SELECT id FROM users WHERE address = ?1");
    q->bind(1, user);
    return q->step() ? q->int64(0) : 0;
}

std::vector<SieveScriptInfo> list_scripts(Db& db, int64_t user_id) {
    std::vector<SieveScriptInfo> out;
    auto q = db.cached("SELECT name, active, length(source) FROM sieve_scripts WHERE user_id = ?1 ORDER BY name");
    q->bind(1, user_id);
    while (q->step()) out.push_back({q->text(0), q->int64(1) != 0, static_cast<uint64_t>(q->int64(2))});
    return out;
}

// 1: active, 0: inactive, -1: no such script.
int script_state(Db& db, int64_t user_id, const std::string& name) {
    auto q = db.cached("SELECT active FROM sieve_scripts WHERE user_id = ?1 AND name = ?2");
    q->bind(1, user_id).bind(2, name);
    return q->step() ? static_cast<int>(q->int64(0) != 0) : -1;
}

[[noreturn]] void no_such_script(const std::string& user, const std::string& name) {
    throw StoreError(fmt::format("{} has no Sieve script \"{}\"", user, name), ErrorKind::nonexistent);
}

}  // namespace

SieveSpace sieve_space(const std::vector<SieveScriptInfo>& scripts, std::string_view name, uint64_t size,
                       const SieveQuota& quota) {
    if (size > quota.max_script_size) return SieveSpace::too_large;
    for (const auto& script : scripts)
        if (script.name == name) return SieveSpace::ok;
    return scripts.size() >= quota.max_scripts ? SieveSpace::too_many_scripts : SieveSpace::ok;
}

bool valid_sieve_script_name(std::string_view name) {
    if (name.empty() || name.size() > max_sieve_name) return false;
    for (size_t i = 0; i < name.size();) {
        auto cp = next_code_point(name, i);
        if (!cp || forbidden_in_name(*cp)) return false;
    }
    return true;
}

std::vector<SieveScriptInfo> SqliteStore::list_sieve_scripts(const std::string& user) {
    auto db = readers_->acquire();
    Txn snapshot(*db, Txn::Kind::deferred);
    const int64_t id = find_user(*db, user);
    return id == 0 ? std::vector<SieveScriptInfo>{} : list_scripts(*db, id);
}

std::optional<std::string> SqliteStore::read_sieve_script(const std::string& user, const std::string& name) {
    require_name(name);
    auto db = readers_->acquire();
    auto q = db->cached(
        "SELECT s.source FROM sieve_scripts s JOIN users u ON u.id = s.user_id WHERE u.address = ?1 AND s.name = ?2");
    q->bind(1, user).bind(2, name);
    if (!q->step()) return std::nullopt;
    return q->blob(0).value_or(std::string());
}

std::optional<ActiveSieveScript> SqliteStore::active_sieve_script(const std::string& user) {
    auto db = readers_->acquire();
    auto q = db->cached(
        "SELECT s.name, s.source FROM sieve_scripts s JOIN users u ON u.id = s.user_id "
        "WHERE u.address = ?1 AND s.active <> 0");
    q->bind(1, user);
    if (!q->step()) return std::nullopt;
    return ActiveSieveScript{q->text(0), q->blob(1).value_or(std::string())};
}

SieveSpace SqliteStore::put_sieve_script(const std::string& user, const std::string& name, const std::string& source,
                                         const SieveQuota& quota) {
    require_name(name);
    SieveSpace space = SieveSpace::ok;
    const int64_t now = unix_now();
    write([&](WriteOps& ops) {
        ops.ensure_user(user);
        Db& db = ops.db();
        const int64_t id = find_user(db, user);
        space = sieve_space(list_scripts(db, id), name, source.size(), quota);
        if (space != SieveSpace::ok) return;
        auto q = db.cached(
            "INSERT INTO sieve_scripts(user_id, name, source, updated) VALUES (?1, ?2, ?3, ?4) "
            "ON CONFLICT(user_id, name) DO UPDATE SET source = ?3, updated = ?4");
        q->bind(1, id).bind(2, name).bind_blob(3, source).bind(4, now).run();
    });
    return space;
}

void SqliteStore::activate_sieve_script(const std::string& user, const std::string& name) {
    if (!name.empty()) require_name(name);
    write([&](WriteOps& ops) {
        Db& db = ops.db();
        const int64_t id = find_user(db, user);
        if (!name.empty() && (id == 0 || script_state(db, id, name) < 0)) no_such_script(user, name);
        auto off = db.cached("UPDATE sieve_scripts SET active = 0 WHERE user_id = ?1 AND active <> 0 AND name <> ?2");
        off->bind(1, id).bind(2, name).run();
        if (name.empty()) return;
        auto on = db.cached("UPDATE sieve_scripts SET active = 1 WHERE user_id = ?1 AND name = ?2");
        on->bind(1, id).bind(2, name).run();
    });
}

void SqliteStore::delete_sieve_script(const std::string& user, const std::string& name) {
    require_name(name);
    write([&](WriteOps& ops) {
        Db& db = ops.db();
        const int64_t id = find_user(db, user);
        const int state = id == 0 ? -1 : script_state(db, id, name);
        if (state < 0) no_such_script(user, name);
        if (state == 1)
            throw StoreError(fmt::format("Sieve script \"{}\" of {} is active", name, user), ErrorKind::refused);
        auto q = db.cached("DELETE FROM sieve_scripts WHERE user_id = ?1 AND name = ?2");
        q->bind(1, id).bind(2, name).run();
    });
}

void SqliteStore::rename_sieve_script(const std::string& user, const std::string& from, const std::string& to) {
    require_name(from);
    require_name(to);
    const int64_t now = unix_now();
    write([&](WriteOps& ops) {
        Db& db = ops.db();
        const int64_t id = find_user(db, user);
        if (id == 0 || script_state(db, id, from) < 0) no_such_script(user, from);
        if (from == to) return;
        if (script_state(db, id, to) >= 0)
            throw StoreError(fmt::format("{} has a Sieve script \"{}\" already", user, to), ErrorKind::already_exists);
        auto q = db.cached("UPDATE sieve_scripts SET name = ?3, updated = ?4 WHERE user_id = ?1 AND name = ?2");
        q->bind(1, id).bind(2, from).bind(3, to).bind(4, now).run();
    });
}

}  // namespace pochta::store
