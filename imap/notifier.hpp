// Tells IMAP sessions about changes other sessions (and SMTP deliveries)
// committed to the store. The store's change listener runs on its writer
// thread and must be quick, so post() only hands the events to the loop;
// there each session registered for the event's user hears of it and
// refreshes its selected mailbox (changed_since / expunged_since).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/net/loop.hpp"
#include "store/store.hpp"

namespace pochta::imap {

class Notifier {
public:
    using Listener = std::function<void(const store::ChangeEvent&)>;

    explicit Notifier(net::EventLoop& loop);
    ~Notifier();
    Notifier(const Notifier&) = delete;
    Notifier& operator=(const Notifier&) = delete;

    // Any thread (the store's writer): queues the events for the loop.
    void post(const std::vector<store::ChangeEvent>& events);

    // Loop thread. The id unregisters; listeners may unregister themselves
    // (or others) while being called.
    uint64_t add(const std::string& user, Listener listener);
    void remove(uint64_t id);
    // Loop thread: calls the listeners of each event's user.
    void dispatch(const std::vector<store::ChangeEvent>& events);

    size_t listener_count() const;

private:
    net::EventLoop& loop_;
    // Cleared by the destructor, so events still queued on the loop are dropped.
    std::shared_ptr<Notifier*> self_;
    uint64_t next_id_ = 1;
    std::map<uint64_t, std::pair<std::string, Listener>> listeners_;
    std::multimap<std::string, uint64_t> by_user_;
};

}  // namespace pochta::imap
