// SORT and THREAD's keys (store.hpp, sort_key_rows): read for a batch of
// messages in one snapshot, the missing ones made from the message and
// queued for the index, so a mailbox older than schema 13 pays once.
#include <algorithm>

#include "common/util/log.hpp"
#include "store/message_prep.hpp"
#include "store/rows.hpp"
#include "store/sqlite_store.hpp"

namespace pochta::store {

namespace {

// The header (where every key lives) is in the first bytes; a header
// longer than this is cut there.
constexpr uint64_t kSortKeysHeaderRead = 256 * 1024;

}  // namespace

std::vector<SortKeyRow> SqliteStore::sort_key_rows(int64_t mailbox_id, const std::vector<uint32_t>& uids) {
    std::vector<SortKeyRow> out;
    out.reserve(uids.size());
    std::vector<std::pair<size_t, int64_t>> missing;  // index into out, message id
    {
        auto db = readers_->acquire();
        Txn snapshot(*db, Txn::Kind::deferred);
        auto q = db->cached("SELECT " POCHTA_MESSAGE_COLUMNS_M
                            ", k.keys FROM messages m LEFT JOIN sort_keys k ON k.blob_id = m.blob_id "
                            "WHERE m.mailbox_id = ?1 AND m.uid BETWEEN ?2 AND ?3 ORDER BY m.uid");
        for (auto [first, last] : uid_scan_ranges(uids)) {
            q->reset();
            q->bind(1, mailbox_id).bind(2, int64_t{first}).bind(3, int64_t{last});
            while (q->step()) {
                const auto uid = static_cast<uint32_t>(q->int64(1));
                if (!std::binary_search(uids.begin(), uids.end(), uid)) continue;
                SortKeyRow row{message_from(*q), q->blob(message_column_count).value_or(std::string())};
                if (row.keys.empty()) missing.emplace_back(out.size(), row.info.id);
                out.push_back(std::move(row));
            }
        }
    }
    // Outside the snapshot: making them reads the messages.
    if (options_.sort_keys)
        for (auto [index, message_id] : missing) out[index].keys = make_missing_sort_keys(message_id);
    return out;
}

std::string SqliteStore::make_missing_sort_keys(int64_t message_id) {
    try {
        const std::string structure = message_structure(message_id);
        const std::string head = read_range(message_id, 0, kSortKeysHeaderRead);
        std::optional<std::string> keys = make_sort_keys(options_.sort_keys, head, structure);
        if (!keys) return {};
        DerivedData made;
        made.sort_keys = *keys;
        cache_derived(stored_bytes(message_id, false).sha256, std::move(made));
        return std::move(*keys);
    } catch (const StoreError& e) {
        // Expunged meanwhile, or unreadable (README.md, "Integrity"): it
        // sorts as a message without those fields.
        log::warn("store: sort keys of message {}: {}", message_id, e.what());
        return {};
    }
}

}  // namespace pochta::store
