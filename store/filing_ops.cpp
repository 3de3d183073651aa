// Copies Sieve placed at delivery (README.md, "Sieve at delivery"): the
// named mailbox, created with :create (and subscribed), or INBOX when it
// does not exist or the name is not one the store can keep; the flags and
// the keywords the store can keep.
#include <fmt/format.h>

#include "common/util/log.hpp"
#include "store/keywords.hpp"
#include "store/mailbox_names.hpp"
#include "store/rows.hpp"
#include "store/write_ops.hpp"

namespace pochta::store {
namespace {

std::string valid_keywords(const Filing& filing) {
    std::vector<std::string> kept;
    for (const auto& keyword : filing.keywords) {
        try {
            check_keyword(keyword);
            kept.push_back(keyword);
        } catch (const StoreError&) {
            log::info("sieve user={} keyword {} not kept: not an IMAP atom", filing.user, log::quoted(keyword));
        }
    }
    if (kept.size() > max_keywords_per_message) kept.resize(max_keywords_per_message);
    return join_keywords(normalize_keywords(kept));
}

bool keepable_name(std::string_view name) {
    try {
        check_mailbox_name(name);
        return true;
    } catch (const StoreError&) {
        return false;
    }
}

}  // namespace

int64_t WriteOps::filing_mailbox(const Filing& filing, SpecialUse folder) {
    const int64_t inbox = ensure_user(filing.user);
    if (filing.mailbox.empty()) return delivery_mailbox(filing.user, folder);
    const std::string name = canonical_mailbox_name(filing.mailbox);
    if (name == "INBOX") return inbox;
    if (auto row = mailbox_row(filing.user, name)) return row->id;
    if (!filing.create || !keepable_name(name)) {
        log::info("sieve user={} mailbox {} does not exist{}: filed in INBOX", filing.user, log::quoted(name),
                  filing.create ? " and cannot be created" : "");
        return inbox;
    }
    const int64_t id = insert_mailbox(user_id(filing.user), name, SpecialUse::none);
    auto q = db_.cached("INSERT OR IGNORE INTO subscriptions(user_id, name) VALUES (?1, ?2)");
    q->bind(1, user_id(filing.user)).bind(2, name).run();
    note(ChangeEvent::Kind::mailbox_created, filing.user, id, require_mailbox(id).highestmodseq);
    return id;
}

void WriteOps::file(const Filing& filing, SpecialUse folder, int64_t blob, int64_t internal_date, uint64_t size,
                    uint64_t crlf_size) {
    add_to_mailbox(filing.user, filing_mailbox(filing, folder), blob, internal_date, size, crlf_size,
                   filing.flags & all_flags, valid_keywords(filing));
}

}  // namespace pochta::store
