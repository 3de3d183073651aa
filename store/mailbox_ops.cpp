// Mailbox and subscription writes of WriteOps (see write_ops.hpp).
#include <fmt/format.h>

#include <utility>
#include <vector>

#include "store/mailbox_names.hpp"
#include "store/write_ops.hpp"

namespace pochta::store {

bool WriteOps::has_inferiors(int64_t user, const std::string& name) {
    auto q = db_.cached("SELECT 1 FROM mailboxes WHERE user_id = ?1 AND name >= ?2 AND name < ?3 LIMIT 1");
    q->bind(1, user).bind(2, inferiors_low(name)).bind(3, inferiors_high(name));
    return q->step();
}

int64_t WriteOps::insert_mailbox(int64_t user, const std::string& name, SpecialUse use) {
    auto q = db_.cached(
        "INSERT INTO mailboxes(id, user_id, name, uidvalidity, special_use) VALUES (?1, ?2, ?3, ?4, ?5) "
        "RETURNING id");
    q->bind(1, next_id("mailbox_id_last")).bind(2, user).bind(3, name);
    q->bind(4, next_uidvalidity()).bind(5, static_cast<int64_t>(use));
    q->step();
    return q->int64(0);
}

MailboxInfo WriteOps::create_mailbox(const std::string& user, const std::string& name, SpecialUse use) {
    check_mailbox_name(name);
    const std::string key = canonical_mailbox_name(name);
    ensure_user(user);  // a user always has INBOX and the special-use folders
    if (mailbox_row(user, key)) throw MailboxExists(fmt::format("mailbox {} exists", key));
    const int64_t id = insert_mailbox(user_id(user), key, use);
    const MailboxRow row = require_mailbox(id);
    note(ChangeEvent::Kind::mailbox_created, user, id, row.highestmodseq);

    MailboxInfo info;
    info.id = id;
    info.name = key;
    info.special_use = use;
    info.uidvalidity = row.uidvalidity;
    info.uidnext = row.uidnext;
    info.highestmodseq = row.highestmodseq;
    auto q = db_.cached("SELECT 1 FROM subscriptions WHERE user_id = ?1 AND name = ?2");
    q->bind(1, row.user_id).bind(2, key);
    info.subscribed = q->step();
    return info;
}

// RFC 3501 6.3.4, as Dovecot does it: a mailbox with inferiors goes with
// its messages, and its name lives on as a level of the hierarchy (no row;
// LIST shows it \Noselect) while inferiors exist, vanishing with the last
// of them. Only such a level with inferiors is refused: it has no messages
// to delete, and removing it would mean removing the inferiors.
void WriteOps::delete_mailbox(const std::string& user, const std::string& name) {
    const std::string key = canonical_mailbox_name(name);
    if (key == "INBOX") throw MailboxRefused("INBOX cannot be deleted");
    const auto row = mailbox_row(user, key);
    if (!row) {
        if (has_inferiors(user_id(user), key))
            throw MailboxRefused(fmt::format("{} is a \\Noselect level with inferior mailboxes", key),
                                 ErrorKind::has_children);
        throw MailboxNotFound(fmt::format("no mailbox {}", key));
    }
    std::vector<int64_t> blobs;
    {
        auto q = db_.cached("SELECT DISTINCT blob_id FROM messages WHERE mailbox_id = ?1");
        q->bind(1, row->id);
        while (q->step()) blobs.push_back(q->int64(0));
    }
    note(ChangeEvent::Kind::mailbox_deleted, user, row->id, row->highestmodseq);
    // Messages and the expunge log go with it (ON DELETE CASCADE); the
    // subscription stays (RFC 3501 6.3.6).
    auto q = db_.cached("DELETE FROM mailboxes WHERE id = ?1");
    q->bind(1, row->id).run();
    collect_blobs(blobs);
}

// Renamed mailboxes keep their id, UIDVALIDITY, UIDs and flags; their
// subscriptions follow them, as a user who renames a folder expects to
// keep seeing it. A level of the hierarchy without a row (see
// delete_mailbox) renames as its inferiors do.
void WriteOps::rename_mailbox(const std::string& user, const std::string& from, const std::string& to) {
    check_mailbox_name(to);
    const std::string from_key = canonical_mailbox_name(from);
    const std::string to_key = canonical_mailbox_name(to);
    const auto source = mailbox_row(user, from_key);
    const int64_t owner = source ? source->user_id : user_id(user);
    if (!source && !has_inferiors(owner, from_key)) throw MailboxNotFound(fmt::format("no mailbox {}", from_key));
    if (mailbox_row(user, to_key)) throw MailboxExists(fmt::format("mailbox {} exists", to_key));
    if (source && from_key == "INBOX") return rename_inbox(*source, to_key);
    if (is_inferior(to_key, from_key))
        throw MailboxRefused(fmt::format("cannot move {} below itself", from_key));

    std::vector<std::pair<int64_t, std::string>> renames;
    if (source) renames.emplace_back(source->id, to_key);
    const size_t first_inferior = renames.size();
    {
        auto q = db_.cached("SELECT id, name FROM mailboxes WHERE user_id = ?1 AND name >= ?2 AND name < ?3");
        q->bind(1, owner).bind(2, inferiors_low(from_key)).bind(3, inferiors_high(from_key));
        while (q->step()) renames.emplace_back(q->int64(0), to_key + q->text(1).substr(from_key.size()));
    }
    for (size_t i = first_inferior; i < renames.size(); ++i) {
        check_mailbox_name(renames[i].second);  // a longer prefix may push a child over the limit
        if (is_inbox(renames[i].second) || mailbox_row(user, renames[i].second))
            throw MailboxExists(fmt::format("mailbox {} exists", renames[i].second));
    }
    auto rename = db_.cached("UPDATE mailboxes SET name = ?2 WHERE id = ?1 RETURNING name, highestmodseq");
    auto subscription = db_.cached("UPDATE OR REPLACE subscriptions SET name = ?3 WHERE user_id = ?1 AND name = ?2");
    for (const auto& [id, new_name] : renames) {
        rename->reset();
        rename->bind(1, id).bind(2, new_name);
        if (!rename->step()) throw StoreError("mailbox vanished during rename");
        const uint64_t modseq = static_cast<uint64_t>(rename->int64(1));
        rename->reset();
        const std::string old_name = from_key + new_name.substr(to_key.size());
        subscription->reset();
        subscription->bind(1, owner).bind(2, old_name).bind(3, new_name).run();
        note(ChangeEvent::Kind::mailbox_renamed, user, id, modseq);
    }
}

// RFC 3501 6.3.5: renaming INBOX moves its messages to a new mailbox and
// leaves INBOX in place, empty, with its UIDVALIDITY and UIDNEXT; mailboxes
// below INBOX are not affected.
void WriteOps::rename_inbox(const MailboxRow& inbox, const std::string& to) {
    const int64_t target = insert_mailbox(inbox.user_id, to, SpecialUse::none);
    note(ChangeEvent::Kind::mailbox_created, inbox.user, target, 0);
    std::vector<uint32_t> uids;
    {
        auto q = db_.cached("SELECT uid FROM messages WHERE mailbox_id = ?1 ORDER BY uid");
        q->bind(1, inbox.id);
        while (q->step()) uids.push_back(static_cast<uint32_t>(q->int64(0)));
    }
    copy_messages(inbox.id, uids, target, true);
}

void WriteOps::set_subscribed(const std::string& user, const std::string& name, bool subscribed) {
    check_mailbox_name(name);
    const std::string key = canonical_mailbox_name(name);
    if (subscribed) {
        ensure_user(user);
        auto q = db_.cached("INSERT OR IGNORE INTO subscriptions(user_id, name) VALUES (?1, ?2)");
        q->bind(1, user_id(user)).bind(2, key).run();
        return;
    }
    const int64_t id = user_id(user);
    if (id == 0) return;
    auto q = db_.cached("DELETE FROM subscriptions WHERE user_id = ?1 AND name = ?2");
    q->bind(1, id).bind(2, key).run();
}

}  // namespace pochta::store
