#include "lists/list_fanout.hpp"

#include <algorithm>

#include "common/util/log.hpp"
#include "common/util/strings.hpp"

namespace pochta::lists {

namespace {

struct FanoutRun : std::enable_shared_from_this<FanoutRun> {
    store::AsyncStore* store = nullptr;
    RemoteFanout fanout;
    std::string sha256;  // known after the first batch: the content is hashed once
    size_t next_member = 0;
    std::function<void(bool)> done;

    store::Fanout next_batch() {
        store::Fanout batch{fanout.message, sha256, {}};
        const size_t end = std::min(fanout.members.size(), next_member + fanout_batch_rows);
        batch.copies.reserve(end - next_member);
        for (; next_member < end; ++next_member) {
            const std::string& member = fanout.members[next_member];
            batch.copies.push_back({random_hex(8), fanout.envelope(member), member,
                                    fanout.fields ? fanout.fields(member) : std::string()});
        }
        return batch;
    }

    void step() {
        if (next_member >= fanout.members.size()) return std::exchange(done, nullptr)(true);
        store->run<std::string>(
            [batch = next_batch()](store::Store& s) { return s.enqueue_fanout(batch); },
            [self = shared_from_this()](std::string sha256, store::Error error) {
                if (!error.empty()) {
                    log::error("list: storing copies for remote members failed: {}", error);
                    return std::exchange(self->done, nullptr)(false);
                }
                self->sha256 = std::move(sha256);
                self->step();
            });
    }
};

}  // namespace

void store_remote_copies(store::AsyncStore& store, RemoteFanout fanout, std::function<void(bool)> done) {
    auto run = std::make_shared<FanoutRun>();
    run->store = &store;
    run->fanout = std::move(fanout);
    run->done = std::move(done);
    run->step();
}

}  // namespace pochta::lists
