// The session's maildrop (numbers, sizes, marks) and the maildrop lock.
#include <catch2/catch.hpp>

#include "pop3/maildrop.hpp"
#include "pop3/maildrop_lock.hpp"

using namespace pochta::pop3;

namespace {

Maildrop three() {
    std::vector<MaildropMessage> m(3);
    for (size_t i = 0; i < 3; i++) {
        m[i].id = 100 + static_cast<int64_t>(i);
        m[i].uid = static_cast<uint32_t>(10 * (i + 1));
        m[i].size = 1000 * (i + 1);
        m[i].uidl = "u" + std::to_string(i);
    }
    return Maildrop(std::move(m));
}

}  // namespace

TEST_CASE("counts and octets follow the marks", "[maildrop]") {
    Maildrop d = three();
    CHECK(d.count() == 3);
    CHECK(d.total() == 3);
    CHECK(d.octets() == 6000);
    CHECK(d.mark_deleted(2) == Maildrop::Lookup::ok);
    CHECK(d.count() == 2);
    CHECK(d.octets() == 4000);
    CHECK(d.total() == 3);  // numbers stay: message 3 is still 3
    const MaildropMessage* m = nullptr;
    CHECK(d.find(3, m) == Maildrop::Lookup::ok);
    CHECK(m->uid == 30);
    CHECK(d.find(2, m) == Maildrop::Lookup::deleted);
    CHECK(d.mark_deleted(2) == Maildrop::Lookup::deleted);
    CHECK(d.count() == 2);
    CHECK(d.deleted_uids() == std::vector<uint32_t>{20});
    d.reset();
    CHECK(d.count() == 3);
    CHECK(d.octets() == 6000);
    CHECK(d.deleted_uids().empty());
}

TEST_CASE("numbers outside the maildrop", "[maildrop]") {
    Maildrop d = three();
    const MaildropMessage* m = nullptr;
    CHECK(d.find(0, m) == Maildrop::Lookup::no_such);
    CHECK(d.find(4, m) == Maildrop::Lookup::no_such);
    CHECK(d.find(uint64_t{1} << 32, m) == Maildrop::Lookup::no_such);
    CHECK(d.mark_deleted(0) == Maildrop::Lookup::no_such);
    CHECK(d.mark_deleted(4) == Maildrop::Lookup::no_such);
    CHECK(m == nullptr);
    Maildrop empty;
    CHECK(empty.count() == 0);
    CHECK(empty.octets() == 0);
    CHECK(empty.find(1, m) == Maildrop::Lookup::no_such);
}

TEST_CASE("deleting everything leaves an empty maildrop", "[maildrop]") {
    Maildrop d = three();
    for (uint64_t n = 1; n <= 3; n++) CHECK(d.mark_deleted(n) == Maildrop::Lookup::ok);
    CHECK(d.count() == 0);
    CHECK(d.octets() == 0);
    CHECK(d.deleted_uids() == std::vector<uint32_t>{10, 20, 30});
}

TEST_CASE("wire size adds a line ending only where RETR adds one", "[maildrop]") {
    CHECK(wire_size(12, 12, '\n') == 12);
    CHECK(wire_size(12, 10, '\n') == 12);
    CHECK(wire_size(10, 10, 'x') == 12);
    CHECK(wire_size(10, 10, '\r') == 12);
    CHECK(wire_size(0, 0, 'x') == 0);   // an empty message: nothing to end
}

TEST_CASE("the maildrop lock admits one session per user", "[lock]") {
    auto locks = std::make_shared<MaildropLocks>();
    auto first = locks->try_lock("alice@example.org");
    REQUIRE(first);
    CHECK(locks->locked("alice@example.org"));
    CHECK(locks->locked("ALICE@Example.org"));
    CHECK_FALSE(locks->try_lock("Alice@example.org"));
    auto bob = locks->try_lock("bob@example.org");
    CHECK(bob);
    first.reset();
    CHECK_FALSE(locks->locked("alice@example.org"));
    auto again = locks->try_lock("alice@example.org");
    CHECK(again);
    CHECK(again->user() == "alice@example.org");
}

TEST_CASE("a guard keeps its registry alive", "[lock]") {
    std::unique_ptr<MaildropLocks::Guard> guard;
    {
        auto locks = std::make_shared<MaildropLocks>();
        guard = locks->try_lock("carol@example.org");
    }
    REQUIRE(guard);
    guard.reset();  // releases into a registry nobody else holds: no use after free
}

TEST_CASE("message tails are remembered by id", "[tails]") {
    MessageTails tails;
    CHECK_FALSE(tails.find(7));
    tails.remember(7, '\n');
    tails.remember(8, 'x');
    REQUIRE(tails.find(7));
    CHECK(*tails.find(7) == '\n');
    CHECK(*tails.find(8) == 'x');
    CHECK_FALSE(tails.find(9));
}
