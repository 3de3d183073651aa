// SieveDelivery on a real store and loop: what the scripts decide becomes
// the deliveries (filings, a queued redirect with SRS, an MDN) and the
// follow-ups after the 250 (the vacation responder is a stub here: its
// implementation is smtp/vacation.*, tested on its own).
#include <catch2/catch.hpp>

#include "common/auth/directory.hpp"
#include "common/net/loop.hpp"
#include "smtp/sieve_delivery.hpp"
#include "store/store.hpp"
#include "tests/unit/config/temp_dir.hpp"

using namespace pochta;
using namespace pochta::smtp;

namespace {

const std::string alice = "alice@example.org";
const std::string bob = "bob@example.org";
const std::string message =
    "Return-Path: <s@remote.example>\r\nFrom: s@remote.example\r\nSubject: hi\r\nMessage-ID: <1@x>\r\n\r\nbody\r\n";

struct Fixture {
    test::TempDir dir;
    Config config;
    std::unique_ptr<store::Store> store;
    net::EventLoop loop;
    std::unique_ptr<store::AsyncStore> async;
    std::unique_ptr<auth::Directory> directory;
    std::vector<VacationCall> vacations;
    std::unique_ptr<SieveDelivery> sieve;

    Fixture() {
        config.file = dir.path() / "pochta.toml";
        config.hostname = "mx.example.org";
        config.domains = {"example.org"};
        config.users_file = dir.write("users", alice + ":{PLAIN}a\n" + bob + ":{PLAIN}b\n");
        store = store::Store::open(dir.path() / "data");
        async = std::make_unique<store::AsyncStore>(loop, *store);
        directory = std::make_unique<auth::Directory>(config);
        RespondVacation stub = [this](VacationCall call, std::function<void()> done) {
            vacations.push_back(std::move(call));
            done();
        };
        sieve = std::make_unique<SieveDelivery>(SieveDelivery::Services{config, *async, *directory, nullptr, {}, stub});
    }

    void script(const std::string& user, const std::string& source) {
        store->put_sieve_script(user, "main", source, {});
        store->activate_sieve_script(user, "main");
    }

    SieveOutcome filter(std::vector<std::string> users) {
        store::Delivery part;
        part.queue_id = "q1";
        part.envelope_from = "s@remote.example";
        part.data = message;
        part.relay_skip = message.find('\n') + 1;
        part.local_users = std::move(users);
        SieveEnvelope envelope{"q1", "s@remote.example", "", "192.0.2.1", "client.example", {}, {}};
        for (const auto& user : part.local_users) envelope.recipient_of[user] = "Alias@example.org";
        SieveOutcome out;
        bool called = false;
        sieve->filter(envelope, {part}, [&](SieveOutcome outcome, store::Error error) {
            REQUIRE(error.empty());
            out = std::move(outcome);
            called = true;
            loop.stop();
        });
        auto watchdog = loop.start_timer(std::chrono::seconds(10), [this] { loop.stop(); });
        loop.run();
        REQUIRE(called);
        return out;
    }
};

}  // namespace

TEST_CASE("vacation actions reach the responder after the message is stored", "[smtp][sieve]") {
    Fixture f;
    f.script(alice, "require [\"vacation\", \"fileinto\"];\nvacation :days 3 \"away\";\nfileinto \"Box\";\n");
    auto outcome = f.filter({alice, bob});
    REQUIRE(outcome.parts.size() == 1);
    CHECK(outcome.parts[0].local_users == std::vector<std::string>{bob});
    REQUIRE(outcome.parts[0].filings.size() == 1);
    CHECK(outcome.parts[0].filings[0].mailbox == "Box");
    CHECK(f.vacations.empty());
    f.sieve->follow_up(std::move(outcome.follow_ups), [] {});
    REQUIRE(f.vacations.size() == 1);
    CHECK(f.vacations[0].user == alice);
    CHECK(f.vacations[0].recipient == "Alias@example.org");
    CHECK(f.vacations[0].envelope_sender == "s@remote.example");
    CHECK(f.vacations[0].message_headers.find("Subject: hi\r\n") != std::string::npos);
    CHECK(f.vacations[0].message_headers.find("body") == std::string::npos);
    CHECK(f.vacations[0].action.reason == "away");
    CHECK(f.vacations[0].action.seconds == 3 * 86400);
}

TEST_CASE("a redirect is a queued copy with Delivered-To; a reject beside others an MDN", "[smtp][sieve]") {
    Fixture f;
    f.script(alice, "redirect \"friend@outside.example\";\n");
    f.script(bob, "require \"reject\";\nreject \"no\";\n");
    auto outcome = f.filter({alice, bob});
    CHECK_FALSE(outcome.refusal);
    REQUIRE(outcome.parts.size() == 2);  // the original part has nobody left to store for
    const auto& copy = outcome.parts[0];
    CHECK(copy.remote_rcpts == std::vector<std::string>{"friend@outside.example"});
    CHECK(copy.queue_id == "q1.1");
    CHECK(copy.data.substr(copy.relay_skip).rfind("Delivered-To: alice@example.org\r\nFrom:", 0) == 0);
    const auto& mdn = outcome.parts[1];
    CHECK(mdn.envelope_from.empty());
    CHECK(mdn.remote_rcpts == std::vector<std::string>{"s@remote.example"});
    CHECK(mdn.data.find("Disposition: automatic-action/MDN-sent-automatically; deleted") != std::string::npos);
}

TEST_CASE("every recipient rejecting is a refusal with nothing stored", "[smtp][sieve]") {
    Fixture f;
    f.script(alice, "require \"reject\";\nreject \"Not wanted\";\n");
    auto outcome = f.filter({alice});
    REQUIRE(outcome.refusal);
    CHECK(*outcome.refusal == "550 5.7.1 Not wanted");
    CHECK(outcome.parts.empty());
}

TEST_CASE("users without scripts are left as they were", "[smtp][sieve]") {
    Fixture f;
    auto outcome = f.filter({alice, bob});
    REQUIRE(outcome.parts.size() == 1);
    CHECK(outcome.parts[0].local_users == std::vector<std::string>{alice, bob});
    CHECK(outcome.parts[0].filings.empty());
}
