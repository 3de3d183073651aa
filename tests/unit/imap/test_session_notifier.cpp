#include <catch2/catch.hpp>

#include <thread>

#include "imap/notifier.hpp"

using namespace pochta;
using namespace pochta::imap;

namespace {

store::ChangeEvent event(const char* user, int64_t mailbox) {
    store::ChangeEvent e;
    e.kind = store::ChangeEvent::Kind::appended;
    e.user = user;
    e.mailbox_id = mailbox;
    e.modseq = 9;
    return e;
}

}  // namespace

TEST_CASE("Notifier hands events from another thread to the user's listeners on the loop") {
    net::EventLoop loop;
    Notifier notifier(loop);
    int alice = 0, bob = 0;
    std::thread::id seen_on;
    notifier.add("alice", [&](const store::ChangeEvent& e) {
        alice++;
        CHECK(e.mailbox_id == 3);
        seen_on = std::this_thread::get_id();
        loop.stop();
    });
    uint64_t bob_id = notifier.add("bob", [&](const store::ChangeEvent&) { bob++; });
    std::thread writer([&] { notifier.post({event("alice", 3)}); });
    loop.run();
    writer.join();
    CHECK(alice == 1);
    CHECK(bob == 0);
    CHECK(seen_on == std::this_thread::get_id());

    notifier.dispatch({event("bob", 1), event("bob", 2)});
    CHECK(bob == 2);
    notifier.remove(bob_id);
    notifier.remove(bob_id);  // twice is harmless
    notifier.dispatch({event("bob", 1)});
    CHECK(bob == 2);
    CHECK(notifier.listener_count() == 1);
}

TEST_CASE("A listener may remove itself while being called") {
    net::EventLoop loop;
    Notifier notifier(loop);
    int calls = 0;
    uint64_t id = 0;
    id = notifier.add("carol", [&](const store::ChangeEvent&) {
        calls++;
        notifier.remove(id);
    });
    notifier.dispatch({event("carol", 1), event("carol", 1)});
    CHECK(calls == 1);
    CHECK(notifier.listener_count() == 0);
}

TEST_CASE("Events posted after the notifier is gone are dropped") {
    net::EventLoop loop;
    int calls = 0;
    {
        Notifier notifier(loop);
        notifier.add("dave", [&](const store::ChangeEvent&) { calls++; });
        notifier.post({event("dave", 1)});
    }
    loop.post([&] { loop.stop(); });
    loop.run();
    CHECK(calls == 0);
}
