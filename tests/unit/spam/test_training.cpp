// Training from the store (README.md, "Spam"): moves into and out of Junk,
// the $Junk / $NotJunk keywords, and the sender read back from a stored
// message.
#include <catch2/catch.hpp>

#include "spam/stored_sender.hpp"
#include "spam/tokenizer.hpp"
#include "spam/training.hpp"
#include "store/store.hpp"
#include "tests/unit/store/store_test_util.hpp"

using namespace pochta;
using namespace pochta::spam;

namespace {

const std::string user = "alice@example.org";

std::string stored(const std::string& body, const std::string& ip = "192.0.2.7") {
    return "Return-Path: <bulk@spam.example>\r\n"
           "Authentication-Results: mx.example.org; spf=pass smtp.mailfrom=bulk@spam.example;\r\n"
           "\tdkim=pass header.d=signer.example header.s=s1\r\n"
           "Received: from helo.example ([" + ip + "])\r\n\tby mx.example.org (pochta) with ESMTP\r\n"
           "Authentication-Results: mx.example.org; dkim=pass header.d=forged.example\r\n"
           "Received: from ([10.0.0.1])\r\n"
           "From: Bulk <Bulk@Spam.Example>\r\nSubject: offer\r\n\r\n" + body + "\r\n";
}

void deliver(store::Store& s, const std::string& id, const std::string& data) {
    store::Delivery d;
    d.queue_id = id;
    d.data = data;
    d.local_users = {user};
    s.deliver(d);
}

}  // namespace

TEST_CASE("the sender of a stored message comes from pochta's own fields", "[spam][training]") {
    SenderFacts f = stored_sender(stored("x"), "");
    CHECK(f.address == "bulk@spam.example");
    CHECK(f.client_ip == "192.0.2.7");
    REQUIRE(f.verified_domains.size() == 2);
    CHECK(f.verified_domains[0] == "spam.example");
    CHECK(f.verified_domains[1] == "signer.example");   // not forged.example: below our Received
    CHECK(stored_sender(stored("x"), "author@x.example").address == "author@x.example");
    CHECK(passed_domains("mx; dkim=fail header.d=a.example; spf=softfail smtp.mailfrom=b.example").empty());
}

TEST_CASE("moving into Junk teaches spam, out of it ham, into Trash nothing", "[spam][training]") {
    store::testing::TempDir tmp;
    auto s = store::Store::open(tmp.data());
    deliver(*s, "q1", stored("cheap pills offer"));
    deliver(*s, "q2", stored("more cheap pills"));
    auto inbox = s->find_mailbox(user, "INBOX");
    auto junk = s->find_mailbox(user, "Junk");
    auto trash = s->find_mailbox(user, "Trash");
    auto moved = s->copy_messages(inbox->id, {1, 2}, junk->id, true);
    learn_from_copy(*s, user, inbox->id, *junk, moved.dest_uids);
    auto key = token_key("pills");
    auto profile = s->spam_profile(user, {key}, {{"network", "192.0.2.0/24"}});
    CHECK(profile.corpus.spam_messages == 2);
    CHECK(profile.tokens[0].spam == 2);
    CHECK(profile.senders[0].bad == 2);

    auto back = s->copy_messages(junk->id, {moved.dest_uids[0]}, inbox->id, true);
    learn_from_copy(*s, user, junk->id, *inbox, back.dest_uids);
    profile = s->spam_profile(user, {key}, {});
    CHECK(profile.corpus.spam_messages == 1);
    CHECK(profile.corpus.ham_messages == 1);

    auto trashed = s->copy_messages(junk->id, {moved.dest_uids[1]}, trash->id, true);
    learn_from_copy(*s, user, junk->id, *trash, trashed.dest_uids);
    CHECK(s->spam_profile(user, {}, {}).corpus.ham_messages == 1);
}

TEST_CASE("$Junk and $NotJunk keywords teach", "[spam][training]") {
    store::testing::TempDir tmp;
    auto s = store::Store::open(tmp.data());
    deliver(*s, "q1", stored("cheap pills offer"));
    auto inbox = s->find_mailbox(user, "INBOX");
    store::FlagUpdate junk{{1}, store::FlagOp::add, 0, {"$Junk"}, std::nullopt};
    learn_from_keywords(*s, user, inbox->id, junk, s->update_flags(inbox->id, junk));
    CHECK(s->spam_profile(user, {}, {}).corpus.spam_messages == 1);
    store::FlagUpdate not_junk{{1}, store::FlagOp::add, 0, {"$NotJunk"}, std::nullopt};
    learn_from_keywords(*s, user, inbox->id, not_junk, s->update_flags(inbox->id, not_junk));
    auto corpus = s->spam_profile(user, {}, {}).corpus;
    CHECK(corpus.spam_messages == 0);
    CHECK(corpus.ham_messages == 1);
    store::FlagUpdate seen{{1}, store::FlagOp::add, store::flag_seen, {}, std::nullopt};
    learn_from_keywords(*s, user, inbox->id, seen, s->update_flags(inbox->id, seen));
    CHECK(s->spam_profile(user, {}, {}).corpus.total() == 1);
}
