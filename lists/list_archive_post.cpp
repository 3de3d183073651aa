#include "lists/list_archive_post.hpp"

#include <memory>
#include <optional>

#include "common/util/log.hpp"
#include "lists/list_address.hpp"
#include "store/list_archive.hpp"

namespace pochta::lists {

namespace {

// Waits for both the archive copy and the distribution (loop thread only).
struct ArchiveJoin {
    std::function<void(bool)> done;
    bool archived = false;
    std::optional<bool> sent;
    void finish() {
        if (archived && sent) done(*sent);
    }
};

}  // namespace

std::function<void(bool)> archive_beside(store::AsyncStore& store, const std::string& list, std::string post,
                                         std::function<void(bool)> done) {
    auto join = std::make_shared<ArchiveJoin>();
    join->done = std::move(done);
    store.deliver(store::archive_delivery(list, command_address(list, ListCommand::owner), std::move(post)),
                  [&store, join, list](store::Error error) {
                      if (!error.empty()) {
                          log::error("list {}: post not archived: {}", list, error);
                          join->archived = true;
                          return join->finish();
                      }
                      store.run<bool>([list](store::Store& s) { return store::settle_archive(s, list), true; },
                                      [join](bool, store::Error) {
                                          join->archived = true;
                                          join->finish();
                                      });
                  });
    return [join](bool ok) {
        join->sent = ok;
        join->finish();
    };
}

}  // namespace pochta::lists
