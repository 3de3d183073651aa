#include "imap/notifier.hpp"

namespace pochta::imap {

Notifier::Notifier(net::EventLoop& loop) : loop_(loop), self_(std::make_shared<Notifier*>(this)) {}

Notifier::~Notifier() { *self_ = nullptr; }

void Notifier::post(const std::vector<store::ChangeEvent>& events) {
    if (events.empty()) return;
    // The loop thread reads *self; the destructor runs there too, so no race.
    loop_.post([self = self_, events] {
        if (*self) (*self)->dispatch(events);
    });
}

uint64_t Notifier::add(const std::string& user, Listener listener) {
    uint64_t id = next_id_++;
    listeners_.emplace(id, std::make_pair(user, std::move(listener)));
    by_user_.emplace(user, id);
    return id;
}

void Notifier::remove(uint64_t id) {
    auto it = listeners_.find(id);
    if (it == listeners_.end()) return;
    auto [first, last] = by_user_.equal_range(it->second.first);
    for (auto u = first; u != last; ++u)
        if (u->second == id) {
            by_user_.erase(u);
            break;
        }
    listeners_.erase(it);
}

void Notifier::dispatch(const std::vector<store::ChangeEvent>& events) {
    for (const auto& event : events) {
        // Collect ids first: a listener may add or remove registrations.
        std::vector<uint64_t> ids;
        auto [first, last] = by_user_.equal_range(event.user);
        for (auto u = first; u != last; ++u) ids.push_back(u->second);
        for (uint64_t id : ids) {
            auto it = listeners_.find(id);
            if (it == listeners_.end()) continue;
            Listener listener = it->second.second;  // a copy survives self-removal
            listener(event);
        }
    }
}

size_t Notifier::listener_count() const { return listeners_.size(); }

}  // namespace pochta::imap
