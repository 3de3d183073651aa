// Mail to a list's addresses, on the loop (README.md, "Mailing lists";
// docs/design.md, layers: the store through AsyncStore, DNS through the
// shared Resolver). What arrives is first kept in the store as a pending
// item (durable before the SMTP 250), then processed: a post is judged by
// the posting policy and sent to the members, held for the moderators or
// refused with a notice; requests to subscribe or unsubscribe get a
// confirmation round trip; replies with tokens approve, reject or confirm.
// Items left by a stop are processed at the next start. Held posts and
// requests to confirm expire (7 and 3 days): a held post's author is told.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "common/auth/directory.hpp"
#include "common/config/config.hpp"
#include "common/dns/resolver.hpp"
#include "common/net/loop.hpp"
#include "lists/list_address.hpp"
#include "lists/list_unsubscribe.hpp"
#include "store/async_store.hpp"

namespace pochta::lists {

struct ListTarget {
    std::string list;          // the list's address
    ListCommand command = ListCommand::post;
    std::string argument;
};

struct EngineContext {
    const Config& config;
    auth::Directory& directory;
    store::AsyncStore& store;
    dns::Resolver* resolver = nullptr;  // DMARC policy lookups; none: From rewritten only when "always"
    net::EventLoop* loop = nullptr;     // for the sweeps of expired items; none: only at resume()
};

class ListEngine {
public:
    explicit ListEngine(EngineContext ctx);
    ~ListEngine();

    // Whether `address` (canonical, in a local domain, no user or alias)
    // is one of a list's addresses.
    void find_target(std::string address, std::function<void(std::optional<ListTarget>)> done);
    // Keeps the message (without Return-Path) for `target`; `done` once it
    // is durable, then processes it.
    void accept(ListTarget target, std::string envelope_from, std::string message,
                std::function<void(store::Error)> done);
    // A bounce the outbound queue made for `sender`, a local address that
    // is no user: when it is shaped as a list's VERP address, it is kept
    // as if it had arrived over SMTP from the null sender (true); when it
    // is not, false. A list that does not exist drops it, logged.
    bool take_bounce(const std::string& sender, std::string dsn);
    // Processes the items an earlier run left unprocessed, and from then on
    // sweeps expired held posts (their authors told) and confirmations.
    void resume();
    // RFC 8058 one-click (lists/list_unsubscribe.hpp): checks a member's
    // token and, with `commit`, removes the member (logged, owners told when
    // the list says so). `done` on the loop.
    void unsubscribe_one_click(std::string token, bool commit, std::function<void(OneClickOutcome)> done);
    // A moderator's link to a held post (README.md, "Posting policies"):
    // checks the token, then with approve or reject decides as a moderator's
    // reply does. `done` on the loop.
    void moderate_by_link(std::string token, LinkDecision decision, std::function<void(ModerationOutcome)> done);

private:
    struct State;
    std::shared_ptr<State> state_;
    std::unique_ptr<net::EventLoop::Timer> sweeps_;
};

}  // namespace pochta::lists
