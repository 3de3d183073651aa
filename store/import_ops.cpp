// Import writes of WriteOps (see write_ops.hpp; README.md, "Import and
// export"). A claim is a row in meta, "import:<mailbox id>" ->
// "<source>\t<progress>": mailbox ids are never reused, so a claim can
// never be mistaken for another mailbox's, and it is committed with every
// batch, so an interrupted import resumes exactly where it stopped.
#include <fmt/format.h>

#include <algorithm>
#include <limits>

#include "store/keywords.hpp"
#include "store/mailbox_names.hpp"
#include "store/rows.hpp"
#include "store/write_ops.hpp"

namespace pochta::store {

namespace {

std::string claim_key(int64_t mailbox_id) { return fmt::format("import:{}", mailbox_id); }

struct SavedClaim {
    std::string source;
    std::string progress;
};

std::optional<SavedClaim> saved_claim(Db& db, int64_t mailbox_id) {
    auto q = db.cached("SELECT value FROM meta WHERE key = ?1");
    q->bind(1, claim_key(mailbox_id));
    if (!q->step()) return std::nullopt;
    const std::string value = q->text(0);
    const auto tab = value.find('\t');
    if (tab == std::string::npos) return SavedClaim{value, ""};
    return SavedClaim{value.substr(0, tab), value.substr(tab + 1)};
}

void save_claim(Db& db, int64_t mailbox_id, const std::string& source, const std::string& progress) {
    auto q = db.cached("INSERT OR REPLACE INTO meta(key, value) VALUES (?1, ?2)");
    q->bind(1, claim_key(mailbox_id)).bind(2, source + "\t" + progress).run();
}

bool has_messages(Db& db, int64_t mailbox_id) {
    auto q = db.cached("SELECT 1 FROM messages WHERE mailbox_id = ?1 LIMIT 1");
    q->bind(1, mailbox_id);
    return q->step();
}

bool has_uid(Db& db, int64_t mailbox_id, uint32_t uid) {
    auto q = db.cached("SELECT 1 FROM messages WHERE mailbox_id = ?1 AND uid = ?2");
    q->bind(1, mailbox_id).bind(2, int64_t{uid});
    return q->step();
}

}  // namespace

WriteOps::MailboxRow WriteOps::import_mailbox(const std::string& user, const std::string& name) {
    check_mailbox_name(name);
    const std::string key = canonical_mailbox_name(name);
    ensure_user(user);
    // Parents first: the store never creates them implicitly (store.hpp).
    for (size_t slash = key.find('/'); ; slash = key.find('/', slash + 1)) {
        const std::string level = slash == std::string::npos ? key : key.substr(0, slash);
        if (!mailbox_row(user, level)) {
            const int64_t id = insert_mailbox(user_id(user), level, SpecialUse::none);
            note(ChangeEvent::Kind::mailbox_created, user, id, 0);
            set_subscribed(user, level, true);
        }
        if (slash == std::string::npos) break;
    }
    return *mailbox_row(user, key);
}

// The source's UIDs stay below uidnext, so mail delivered during the import
// gets UIDs above every one the import will still store; UIDVALIDITY values
// stay unique store-wide (meta.uidvalidity_last, schema.cpp).
void WriteOps::reserve_uids(const MailboxRow& box, const ImportTarget& target) {
    auto q = db_.cached("UPDATE mailboxes SET uidvalidity = ?2, uidnext = max(uidnext, ?3) WHERE id = ?1");
    q->bind(1, box.id).bind(2, int64_t{target.uidvalidity}).bind(3, int64_t{target.uidnext}).run();
    auto last = db_.cached("UPDATE meta SET value = max(value, ?1) WHERE key = 'uidvalidity_last'");
    last->bind(1, int64_t{target.uidvalidity}).run();
}

ImportClaim WriteOps::claim_import(const ImportTarget& target) {
    if (target.source.find('\t') != std::string::npos) throw StoreError("import source with a tab", ErrorKind::invalid);
    const MailboxRow box = import_mailbox(target.user, target.mailbox);
    ImportClaim claim;
    if (auto saved = saved_claim(db_, box.id)) {
        if (saved->source != target.source) {
            claim.refused = fmt::format("{} is taking an import from {}", box.name, saved->source);
            return claim;
        }
        claim.progress = saved->progress;
    } else if (target.uidvalidity != 0 && (box.uidnext != 1 || has_messages(db_, box.id))) {
        // A client may have seen UIDs of this mailbox: the source's would clash.
        claim.refused = fmt::format("{} held messages before: its UIDs cannot be the source's", box.name);
        return claim;
    }
    if (target.uidvalidity != 0) reserve_uids(box, target);
    save_claim(db_, box.id, target.source, claim.progress);
    const MailboxRow now = require_mailbox(box.id);
    claim.box.id = now.id;
    claim.box.name = now.name;
    claim.box.special_use = now.special_use;
    claim.box.uidvalidity = now.uidvalidity;
    claim.box.uidnext = now.uidnext;
    claim.box.highestmodseq = now.highestmodseq;
    return claim;
}

ImportBatchResult WriteOps::import_batch(int64_t mailbox_id, const std::string& source,
                                         const std::vector<ImportMessage>& messages,
                                         const std::vector<PreparedMessage>& prepared, const std::string& progress) {
    const MailboxRow box = require_mailbox(mailbox_id);
    const auto saved = saved_claim(db_, mailbox_id);
    if (!saved || saved->source != source)
        throw StoreError(fmt::format("{} is not claimed by {}", box.name, source), ErrorKind::refused);
    ImportBatchResult result;
    uint64_t modseq = 0;  // one for the batch, taken when it stores a first message
    auto raise_uidnext = db_.cached("UPDATE mailboxes SET uidnext = max(uidnext, ?2) WHERE id = ?1");
    for (size_t i = 0; i < messages.size(); ++i) {
        const ImportMessage& m = messages[i];
        if (m.uid != 0 && has_uid(db_, mailbox_id, m.uid)) {
            ++result.present;
            continue;
        }
        uint32_t uid = m.uid;
        if (uid == 0) {
            uid = allocate_uids(mailbox_id, 1);
        } else {
            raise_uidnext->reset();
            raise_uidnext->bind(1, mailbox_id).bind(2, int64_t{uid} + 1).run();
        }
        if (modseq == 0) modseq = bump_modseq(mailbox_id);
        MessageRow row;
        row.flags = m.flags & all_flags;
        row.keywords = join_keywords(normalize_keywords(m.keywords));
        row.internal_date = m.internal_date > 0 ? m.internal_date : unix_now();
        row.size = m.data.size();
        row.crlf_size = prepared[i].crlf_size;
        row.blob_id = blob_id(prepared[i], m.data);
        row.pop3_uidl = next_uidl();
        insert_message(mailbox_id, uid, modseq, row);
        ++result.stored;
    }
    save_claim(db_, mailbox_id, source, progress);
    if (result.stored > 0) note(ChangeEvent::Kind::appended, box.user, mailbox_id, modseq);
    return result;
}

}  // namespace pochta::store
