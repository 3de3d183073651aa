// The queue runner's decisions: deferral on the schedule, giving up after
// max_queue_time, and where the one bounce goes.
#include <catch2/catch.hpp>

#include "outbound/queue_outcome.hpp"

using namespace pochta::outbound;
using namespace std::chrono_literals;
using State = pochta::store::RcptOutcome::State;

namespace {

pochta::store::QueuedMessage queued(int64_t created, unsigned attempts = 0) {
    pochta::store::QueuedMessage m;
    m.id = "Q1";
    m.envelope_from = "alice@example.org";
    m.rcpts = {"a@x.net", "b@x.net", "c@x.net"};
    m.attempts = attempts;
    m.created = created;
    m.data = "From: alice@example.org\r\nSubject: hi\r\n\r\nbody\r\n";
    return m;
}

Clock::time_point at(int64_t s) { return Clock::time_point(std::chrono::seconds(s)); }

BounceRoute route() {
    BounceRoute r;
    r.is_local_domain = [](std::string_view d) { return d == "example.org"; };
    r.resolve_local = [](std::string_view address) {
        pochta::auth::Resolution res;
        if (address == "alice@example.org") {
            res.found = true;
            res.local_users = {"alice@example.org"};
        }
        return res;
    };
    return r;
}

}  // namespace

TEST_CASE("one attempt's results become one update", "[queue]") {
    const int64_t t0 = 1'700'000'000;
    RetrySchedule schedule({60s, 600s});
    std::vector<RecipientReport> reports{
        {"a@x.net", Outcome::delivered, "250 ok", "mx.x.net"},
        {"b@x.net", Outcome::temporary, "451 4.3.0 busy", "mx.x.net"},
        {"c@x.net", Outcome::permanent, "550 5.1.1 unknown", "mx.x.net"},
    };
    auto d = decide_attempt(queued(t0, 1), reports, at(t0 + 100), schedule, 3600s);
    CHECK(d.update.id == "Q1");
    CHECK(d.update.attempt_done);
    REQUIRE(d.update.rcpts.size() == 3);
    CHECK(d.update.rcpts[0].state == State::delivered);
    CHECK(d.update.rcpts[1].state == State::deferred);
    CHECK(d.update.rcpts[2].state == State::failed);
    CHECK(d.update.last_reply == "451 4.3.0 busy");
    CHECK(d.update.next_attempt == t0 + 100 + 600);  // the second failure: the second step
    REQUIRE(d.failed.size() == 1);
    CHECK(d.failed[0].address == "c@x.net");
    CHECK(d.failed[0].diagnostic == "550 5.1.1 unknown");
    CHECK(d.failed[0].remote_mta == "mx.x.net");
}

TEST_CASE("temporary failures past max_queue_time fail", "[queue]") {
    const int64_t t0 = 1'700'000'000;
    std::vector<RecipientReport> reports{{"a@x.net", Outcome::temporary, "connection refused", ""}};
    auto kept = decide_attempt(queued(t0), reports, at(t0 + 3599), RetrySchedule({600s}), 3600s);
    CHECK(kept.update.rcpts[0].state == State::deferred);
    CHECK(kept.update.next_attempt == t0 + 3600);  // never later than the expiry
    CHECK(kept.failed.empty());

    auto gone = decide_attempt(queued(t0), reports, at(t0 + 3600), RetrySchedule({600s}), 3600s);
    CHECK(gone.update.rcpts[0].state == State::failed);
    REQUIRE(gone.failed.size() == 1);
    CHECK(gone.failed[0].reason.find("connection refused") != std::string::npos);
    CHECK(dsn_status(gone.failed[0])[0] == '5');
}

TEST_CASE("the bounce goes to a local sender's INBOX", "[queue]") {
    auto m = queued(1'700'000'000);
    DsnRecipient failed;
    failed.address = "c@x.net";
    failed.diagnostic = "550 5.1.1 unknown";
    failed.remote_mta = "mx.x.net";
    auto bounce = make_bounce(m, {failed}, "mail.example.org", route());
    REQUIRE(bounce);
    CHECK(bounce->envelope_from.empty());
    CHECK(bounce->local_users == std::vector<std::string>{"alice@example.org"});
    CHECK(bounce->remote_rcpts.empty());
    CHECK(bounce->data.rfind("Return-Path: <>\r\n", 0) == 0);
    CHECK(bounce->relay_skip == std::string("Return-Path: <>\r\n").size());
    CHECK(bounce->data.find("c@x.net") != std::string::npos);
    CHECK(bounce->data.find("Subject: hi") != std::string::npos);  // the original headers
    CHECK(!bounce->queue_id.empty());
}

TEST_CASE("bounces to remote, null and vanished senders", "[queue]") {
    auto m = queued(1'700'000'000);
    DsnRecipient failed;
    failed.address = "c@x.net";
    failed.reason = "550 5.1.2 Host or domain name not found";

    m.envelope_from = "bob@remote.net";
    auto remote = make_bounce(m, {failed}, "mail.example.org", route());
    REQUIRE(remote);
    CHECK(remote->local_users.empty());
    CHECK(remote->remote_rcpts == std::vector<std::string>{"bob@remote.net"});
    CHECK(remote->envelope_from.empty());

    m.envelope_from = "";
    CHECK_FALSE(make_bounce(m, {failed}, "mail.example.org", route()));   // never bounce a bounce
    m.envelope_from = "gone@example.org";
    CHECK_FALSE(make_bounce(m, {failed}, "mail.example.org", route()));   // local sender deleted
    m.envelope_from = "alice@example.org";
    CHECK_FALSE(make_bounce(m, {}, "mail.example.org", route()));          // nothing failed
}

TEST_CASE("recipient_domain", "[queue]") {
    CHECK(recipient_domain("a@Example.NET") == "example.net");
    CHECK(recipient_domain("\"a@b\"@x.org") == "x.org");
    CHECK(recipient_domain("nodomain").empty());
    CHECK(recipient_domain("a@[192.0.2.1]") == "[192.0.2.1]");
}

TEST_CASE("our own reasons keep their status in the DSN", "[queue]") {
    const int64_t t0 = 1'700'000'000;
    std::vector<RecipientReport> reports{
        {"a@x.net", Outcome::permanent, "550 5.1.2 Host or domain name not found: x.net (nxdomain)", ""},
        {"b@y.net", Outcome::permanent, "Recipient went away", ""},
    };
    auto d = decide_attempt(queued(t0), reports, at(t0 + 1), RetrySchedule({60s}), 3600s);
    REQUIRE(d.failed.size() == 2);
    CHECK(d.failed[0].status == "5.1.2");
    CHECK(d.failed[0].diagnostic.empty());
    CHECK(d.failed[0].reason.find("nxdomain") != std::string::npos);
    CHECK(d.failed[1].status.empty());
    CHECK(dsn_status(d.failed[1])[0] == '5');

    std::vector<RecipientReport> temporary{{"c@z.net", Outcome::temporary, "451 4.4.1 connect failed", ""}};
    auto gone = decide_attempt(queued(t0), temporary, at(t0 + 3600), RetrySchedule({60s}), 3600s);
    REQUIRE(gone.failed.size() == 1);
    CHECK(dsn_status(gone.failed[0]) == "5.4.1");
}
