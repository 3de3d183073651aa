// A list post's copies for remote members (README.md, "Mailing lists",
// "Fan-out"): the content is held once in memory and stored once as a
// blob; each member gets a queue entry of its own (its VERP envelope
// sender, its own List-Unsubscribe fields) that references it. The entries
// are inserted in batches, one transaction each, one batch at a time, so
// memory stays that of one message and one batch whatever the list's size.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "store/async_store.hpp"

namespace pochta::lists {

// Queue entries per transaction: large enough that a commit's fsync is
// shared by thousands of copies, small enough to keep a batch's rows
// (a few hundred bytes each) small.
constexpr size_t fanout_batch_rows = 5000;

struct RemoteFanout {
    std::shared_ptr<const std::string> message;                // as relayed, shared by all
    std::vector<std::string> members;
    std::function<std::string(const std::string&)> envelope;   // a member's envelope sender
    std::function<std::string(const std::string&)> fields;     // a member's own fields; null: none
};

// Stores the copies; `done(ok)` on the loop once all batches are committed
// (ok) or one failed (the batches before it stay: their copies are sent).
void store_remote_copies(store::AsyncStore& store, RemoteFanout fanout, std::function<void(bool)> done);

}  // namespace pochta::lists
