// Reading index rows into the interface's structs, shared by the read side
// (SqliteStore) and the write side (WriteOps), so both see the same columns.
#pragma once

#include <utility>
#include <vector>

#include "store/sqlite_db.hpp"
#include "store/store.hpp"

// The columns message_from() expects, in order, from table `messages`.
#define POCHTA_MESSAGE_COLUMNS \
    "id, uid, modseq, flags, keywords, internal_date, size, crlf_size, pop3_uidl, save_date"
// The same from `messages m` in a join.
#define POCHTA_MESSAGE_COLUMNS_M \
    "m.id, m.uid, m.modseq, m.flags, m.keywords, m.internal_date, m.size, m.crlf_size, m.pop3_uidl, m.save_date"
constexpr int message_column_count = 10;

// The columns mailbox_from() expects, from `mailboxes m` joined with
// `users u`; the counts and the subscription come from subqueries.
#define POCHTA_MAILBOX_COLUMNS                                                                       \
    "m.id, m.name, m.special_use, "                                                                  \
    "EXISTS (SELECT 1 FROM subscriptions s WHERE s.user_id = m.user_id AND s.name = m.name), "      \
    "m.uidvalidity, m.uidnext, m.highestmodseq, "                                                    \
    "(SELECT count(*) FROM messages WHERE mailbox_id = m.id), "                                      \
    "(SELECT count(*) FROM messages WHERE mailbox_id = m.id AND (flags & 1) = 0), m.expunge_horizon"

// The same without the counts (both 0): one row, whatever the mailbox holds.
#define POCHTA_MAILBOX_COLUMNS_UNCOUNTED                                                             \
    "m.id, m.name, m.special_use, "                                                                  \
    "EXISTS (SELECT 1 FROM subscriptions s WHERE s.user_id = m.user_id AND s.name = m.name), "      \
    "m.uidvalidity, m.uidnext, m.highestmodseq, 0, 0, m.expunge_horizon"

namespace pochta::store {

MessageInfo message_from(Stmt& q);
MailboxInfo mailbox_from(Stmt& q);

// Requested UIDs (ascending) as ranges to scan with "uid BETWEEN": stepping
// over a few rows nobody asked for is cheaper than a lookup per UID.
std::vector<std::pair<uint32_t, uint32_t>> uid_scan_ranges(const std::vector<uint32_t>& uids);

// Flag bits the store keeps; anything else a caller passes is dropped.
constexpr uint32_t all_flags = flag_seen | flag_answered | flag_flagged | flag_deleted | flag_draft;

}  // namespace pochta::store
