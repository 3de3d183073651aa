// Vacation replies in the index (README.md, "Vacation and forwarding"):
// the memory of which sender got a reply under which handle, checked and
// recorded in one write so concurrent deliveries reply once; and the
// settings behind the scripts `pochta vacation` and `pochta forward` write.
#include "common/util/strings.hpp"
#include "store/sha256.hpp"
#include "store/sqlite_store.hpp"

namespace pochta::store {

namespace {

// Forwarding targets are addresses, which never hold a line end.
std::string join_lines(const std::vector<std::string>& items) {
    std::string out;
    for (const std::string& item : items) out += (out.empty() ? "" : "\n") + item;
    return out;
}

std::vector<std::string> split_lines(const std::string& text) {
    std::vector<std::string> out;
    if (text.empty()) return out;
    for (std::string_view line : split(text, '\n')) out.emplace_back(line);
    return out;
}

}  // namespace

// The statements name the user by address (ensure_user returns INBOX's id).
bool SqliteStore::vacation_claim(const VacationMark& mark) {
    bool due = false;
    const std::string handle = sha256_hex(mark.handle);  // a handle made of the reason may be 64 KiB
    write([&](WriteOps& ops) {
        Db& db = ops.db();
        ops.ensure_user(mark.user);
        auto prune = db.cached(
            "DELETE FROM vacation_replies WHERE user_id = (SELECT id FROM users WHERE address = ?1) AND next <= ?2");
        prune->bind(1, mark.user).bind(2, mark.now).run();
        auto seen = db.cached(
            "SELECT 1 FROM vacation_replies WHERE user_id = (SELECT id FROM users WHERE address = ?1) "
            "AND handle = ?2 AND sender = ?3");
        seen->bind(1, mark.user).bind(2, handle).bind(3, mark.sender);
        due = !seen->step();
        if (!due || mark.period <= 0) return;
        auto add = db.cached(
            "INSERT INTO vacation_replies(user_id, handle, sender, next) "
            "SELECT id, ?2, ?3, ?4 FROM users WHERE address = ?1");
        add->bind(1, mark.user).bind(2, handle).bind(3, mark.sender).bind(4, mark.now + mark.period).run();
    });
    return due;
}

std::optional<ManagedSieve> SqliteStore::managed_sieve(const std::string& user) {
    auto db = readers_->acquire();
    auto q = db->cached(
        "SELECT own_script, forward_to, forward_keep, vacation, vacation_subject, vacation_message, vacation_until, "
        "vacation_days FROM managed_sieve m JOIN users u ON u.id = m.user_id WHERE u.address = ?1");
    q->bind(1, user);
    if (!q->step()) return std::nullopt;
    ManagedSieve m;
    m.own_script = q->text(0);
    m.forward_to = split_lines(q->text(1));
    m.forward_keep = q->int64(2) != 0;
    m.vacation = q->int64(3) != 0;
    m.vacation_subject = q->text(4);
    m.vacation_message = q->text(5);
    m.vacation_until = q->text(6);
    m.vacation_days = static_cast<uint32_t>(q->int64(7));
    return m;
}

void SqliteStore::set_managed_sieve(const std::string& user, const ManagedSieve& m) {
    write([&](WriteOps& ops) {
        Db& db = ops.db();
        if (m.empty()) {
            auto drop = db.cached("DELETE FROM managed_sieve WHERE user_id = (SELECT id FROM users WHERE address = ?1)");
            drop->bind(1, user).run();
            return;
        }
        ops.ensure_user(user);
        auto q = db.cached(
            "INSERT OR REPLACE INTO managed_sieve(user_id, own_script, forward_to, forward_keep, vacation, "
            "vacation_subject, vacation_message, vacation_until, vacation_days) "
            "SELECT id, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9 FROM users WHERE address = ?1");
        q->bind(1, user).bind(2, m.own_script).bind(3, join_lines(m.forward_to));
        q->bind(4, int64_t{m.forward_keep}).bind(5, int64_t{m.vacation}).bind(6, m.vacation_subject);
        q->bind(7, m.vacation_message).bind(8, m.vacation_until).bind(9, int64_t{m.vacation_days});
        q->run();
    });
}

}  // namespace pochta::store
