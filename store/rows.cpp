#include "store/rows.hpp"

#include "store/keywords.hpp"

namespace pochta::store {

MessageInfo message_from(Stmt& q) {
    MessageInfo m;
    m.id = q.int64(0);
    m.uid = static_cast<uint32_t>(q.int64(1));
    m.modseq = static_cast<uint64_t>(q.int64(2));
    m.flags = static_cast<uint32_t>(q.int64(3));
    m.keywords = split_keywords(q.text(4));
    m.internal_date = q.int64(5);
    m.size = static_cast<uint64_t>(q.int64(6));
    m.crlf_size = static_cast<uint64_t>(q.int64(7));
    m.pop3_uidl = q.text(8);
    m.save_date = q.is_null(9) ? 0 : q.int64(9);
    return m;
}

MailboxInfo mailbox_from(Stmt& q) {
    MailboxInfo m;
    m.id = q.int64(0);
    m.name = q.text(1);
    const int64_t use = q.int64(2);
    m.special_use = use >= 0 && use <= static_cast<int64_t>(SpecialUse::archive) ? static_cast<SpecialUse>(use)
                                                                                 : SpecialUse::none;
    m.subscribed = q.int64(3) != 0;
    m.uidvalidity = static_cast<uint32_t>(q.int64(4));
    m.uidnext = static_cast<uint32_t>(q.int64(5));
    m.highestmodseq = static_cast<uint64_t>(q.int64(6));
    m.messages = static_cast<uint32_t>(q.int64(7));
    m.unseen = static_cast<uint32_t>(q.int64(8));
    m.expunge_horizon = static_cast<uint64_t>(q.int64(9));
    return m;
}

std::vector<std::pair<uint32_t, uint32_t>> uid_scan_ranges(const std::vector<uint32_t>& uids) {
    constexpr uint32_t max_gap = 16;
    std::vector<std::pair<uint32_t, uint32_t>> out;
    for (uint32_t uid : uids) {
        if (!out.empty() && uid >= out.back().second && uid - out.back().second <= max_gap)
            out.back().second = uid;
        else
            out.emplace_back(uid, uid);
    }
    return out;
}

}  // namespace pochta::store
