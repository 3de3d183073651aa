// Training the classifier and the sender history from what users do
// (README.md, "Spam"): moving or copying mail into Junk teaches spam, out
// of Junk (anywhere but Trash) teaches ham, and so do the $Junk and
// $NotJunk keywords; `pochta spam train` teaches a whole mailbox. These
// run on a store worker (they read messages and write counts) and never
// throw: a failed lesson is logged, the user's command is not failed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "store/store.hpp"

namespace pochta::spam {

// Learns these messages of one mailbox as spam or ham; returns how many
// changed the counts (a message learnt the same way before does not).
size_t learn_messages(store::Store& store, const std::string& user, int64_t mailbox_id,
                      const std::vector<uint32_t>& uids, bool spam);

// After COPY or MOVE from `from_mailbox` into `to` (dest_uids in `to`).
void learn_from_copy(store::Store& store, const std::string& user, int64_t from_mailbox, const store::MailboxInfo& to,
                     const std::vector<uint32_t>& dest_uids);

// After a STORE that may have set $Junk or $NotJunk.
void learn_from_keywords(store::Store& store, const std::string& user, int64_t mailbox_id,
                         const store::FlagUpdate& update, const store::FlagResult& result);

}  // namespace pochta::spam
