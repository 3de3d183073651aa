// The vacation responder with a real store, loop and users/aliases files:
// the reply is queued with the null sender (remote sender) or delivered
// (local sender), once per period, never against the rules, and :from only
// when it is the user's own address.
#include <catch2/catch.hpp>

#include <ctime>
#include <fstream>

#include "common/net/loop.hpp"
#include "smtp/vacation.hpp"
#include "store/async_store.hpp"
#include "tests/unit/store/store_test_util.hpp"

using namespace pochta;
using namespace pochta::smtp;
using Catch::Matchers::Contains;

namespace {

struct Rig {
    store::testing::TempDir tmp;
    Config config;
    std::unique_ptr<auth::Directory> directory;
    std::unique_ptr<store::Store> store;
    net::EventLoop loop;
    std::unique_ptr<store::AsyncStore> async;
    std::unique_ptr<VacationResponder> responder;

    Rig() {
        config.hostname = "mail.example.org";
        config.domains = {"example.org"};
        config.users_file = write("users", "alice@example.org:{PLAIN}a\nbob@example.org:{PLAIN}b\n");
        config.aliases_file = write("aliases", "al@example.org: alice@example.org\n");
        config.sieve.vacation_min_period = std::chrono::seconds(60);
        directory = std::make_unique<auth::Directory>(config);
        store = store::Store::open(tmp.data());
        async = std::make_unique<store::AsyncStore>(loop, *store);
        responder = std::make_unique<VacationResponder>(config, *directory, *async);
    }
    ~Rig() { async.reset(); }

    std::filesystem::path write(const std::string& name, const std::string& text) {
        std::ofstream(tmp.path() / name) << text;
        return tmp.path() / name;
    }

    void respond(VacationRequest request) {
        bool done = false;
        responder->respond(std::move(request), [&] {
            done = true;
            loop.stop();
        });
        auto guard = loop.start_timer(std::chrono::seconds(10), [this] { loop.stop(); });
        if (!done) loop.run();
        REQUIRE(done);
    }

    std::vector<store::QueuedMessage> queued() { return store->due_queue(std::time(nullptr) + 1, 100, 1 << 20, {}); }
};

VacationRequest request(std::string sender = "bob@remote.example", std::string headers = "") {
    VacationRequest r;
    r.user = "alice@example.org";
    r.recipient = "alice@example.org";
    r.envelope_sender = std::move(sender);
    r.message_headers = headers.empty() ? "From: <" + r.envelope_sender +
                                              ">\r\nTo: Alice <alice@example.org>\r\nSubject: Lunch?\r\n"
                                              "Message-ID: <m1@remote.example>\r\n\r\n"
                                        : headers;
    r.action.reason = "I am away.";
    r.action.handle = "h1";
    r.action.seconds = 7 * 86400;
    return r;
}

}  // namespace

TEST_CASE("a remote sender's reply is queued with the null sender, once per period", "[smtp][vacation]") {
    Rig rig;
    rig.respond(request());
    auto queue = rig.queued();
    REQUIRE(queue.size() == 1);
    CHECK(queue[0].envelope_from.empty());
    CHECK(queue[0].rcpts == std::vector<std::string>{"bob@remote.example"});
    const std::string& reply = queue[0].data;
    CHECK(reply.starts_with("From: alice@example.org\r\nTo: <bob@remote.example>\r\nSubject: Auto: Lunch?\r\n"));
    CHECK_THAT(reply, Contains("\r\nIn-Reply-To: <m1@remote.example>\r\n"));
    CHECK_THAT(reply, Contains("\r\nAuto-Submitted: auto-replied (vacation)\r\n"));
    CHECK_THAT(reply, Contains("@mail.example.org>\r\n"));  // its Message-ID
    CHECK(reply.ends_with("\r\n\r\nI am away.\r\n"));

    rig.respond(request());
    rig.respond(request("BOB@remote.example"));  // the same sender
    CHECK(rig.queued().size() == 1);
    auto other = request();
    other.action.handle = "h2";  // another vacation text is answered anew (RFC 5230 4.2)
    rig.respond(other);
    CHECK(rig.queued().size() == 2);
}

TEST_CASE("a local sender's reply goes to its INBOX", "[smtp][vacation]") {
    Rig rig;
    rig.respond(request("bob@example.org"));
    CHECK(rig.queued().empty());
    auto inbox = rig.store->find_mailbox("bob@example.org", "INBOX");
    REQUIRE(inbox);
    REQUIRE(inbox->messages == 1);
    const std::string stored = rig.store->read_message(rig.store->list_messages(inbox->id)[0].id);
    CHECK(stored.starts_with("Return-Path: <>\r\nFrom: alice@example.org\r\n"));
    rig.respond(request("nobody@example.org"));  // no such local address: nothing at all
    CHECK(rig.queued().empty());
}

TEST_CASE("no reply against the rules, nor to the user's aliases", "[smtp][vacation]") {
    Rig rig;
    rig.respond(request("", ""));
    rig.respond(request("bob@remote.example", "To: alice@example.org\r\nList-Id: <l.example>\r\n\r\n"));
    rig.respond(request("bob@remote.example", "To: alice@example.org\r\nAuto-Submitted: auto-generated\r\n\r\n"));
    rig.respond(request("bob@remote.example", "To: team@remote.example\r\n\r\n"));
    rig.respond(request("al@example.org"));
    CHECK(rig.queued().empty());
    CHECK(rig.store->vacation_claim({"alice@example.org", "h1", "bob@remote.example", std::time(nullptr), 60}));
}

TEST_CASE("the user's aliases and :addresses count as the user's", "[smtp][vacation]") {
    Rig rig;
    rig.respond(request("bob@remote.example", "To: al@example.org\r\n\r\n"));
    auto other = request("carol@remote.example", "Cc: alice.smith@old.example\r\n\r\n");
    other.action.addresses = {"Alice.Smith@old.example"};
    rig.respond(other);
    CHECK(rig.queued().size() == 2);
}

TEST_CASE(":from is used only when it is the user's address", "[smtp][vacation]") {
    Rig rig;
    auto own = request();
    own.action.from = "Alice Martin <al@example.org>";
    rig.respond(own);
    auto foreign = request("carol@remote.example");
    foreign.action.from = "ceo@bank.example";
    rig.respond(foreign);
    auto queue = rig.queued();
    REQUIRE(queue.size() == 2);
    std::string froms = queue[0].data.substr(0, queue[0].data.find("\r\n")) + "|" +
                        queue[1].data.substr(0, queue[1].data.find("\r\n"));
    CHECK_THAT(froms, Contains("From: Alice Martin <al@example.org>"));
    CHECK_THAT(froms, Contains("From: alice@example.org"));
    CHECK(froms.find("bank") == std::string::npos);
}

TEST_CASE("the period is bounded by the configuration", "[smtp][vacation]") {
    using std::chrono::seconds;
    CHECK(vacation_period(0, seconds(86400), seconds(864000)) == seconds(86400));
    CHECK(vacation_period(7 * 86400, seconds(86400), seconds(864000)) == seconds(7 * 86400));
    CHECK(vacation_period(UINT64_MAX, seconds(86400), seconds(864000)) == seconds(864000));
    CHECK(vacation_period(0, seconds(0), seconds(864000)) == seconds(0));
}
