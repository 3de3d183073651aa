// Sieve at delivery: the sequence of global and user scripts
// (smtp/sieve_run.hpp), the messages pochta writes itself
// (smtp/sieve_messages.hpp) and the spamtest mapping.
#include <catch2/catch.hpp>

#include "smtp/sieve_delivery.hpp"
#include "smtp/sieve_messages.hpp"
#include "smtp/sieve_run.hpp"
#include "smtp/sieve_script_cache.hpp"

using namespace pochta;
using namespace pochta::smtp;

namespace {

std::shared_ptr<const sieve::Script> compiled(const std::string& source) {
    auto result = sieve::compile(source);
    REQUIRE(std::holds_alternative<std::shared_ptr<const sieve::Script>>(result));
    return std::get<std::shared_ptr<const sieve::Script>>(result);
}

std::vector<std::string> described(const ScriptsOutcome& outcome) {
    std::vector<std::string> out;
    for (const auto& action : outcome.actions) out.push_back(sieve::describe(action));
    return out;
}

const std::string message = "Return-Path: <a@b.example>\r\nSubject: hello\r\nX-Old: 1\r\n\r\nbody\r\n";

}  // namespace

TEST_CASE("no scripts: the implicit keep", "[smtp][sieve]") {
    auto outcome = run_scripts({}, {}, message, {});
    CHECK(outcome.status == sieve::Status::ok);
    CHECK(described(outcome) == std::vector<std::string>{"keep"});
}

TEST_CASE("before, user and after scripts run while the implicit keep stands", "[smtp][sieve]") {
    GlobalScripts global;
    global.before.push_back(compiled("require \"imap4flags\";\nif header :is \"subject\" \"hello\" { addflag \"$B\"; }\n"));
    global.after.push_back(compiled("require [\"fileinto\", \"copy\"];\nfileinto :copy \"After\";\n"));
    SECTION("nobody files it: every script runs, the last one's implicit keep stands") {
        auto outcome = run_scripts(global, {"mine", compiled("require \"copy\";\nredirect :copy \"x@y.example\";\n")},
                                   message, {});
        CHECK(described(outcome) == std::vector<std::string>{"redirect \"x@y.example\" copy", "fileinto \"After\" copy", "keep flags=$B"});
    }
    SECTION("the user's fileinto ends the sequence") {
        auto outcome = run_scripts(global, {"mine", compiled("require \"fileinto\";\nfileinto \"Box\";\n")}, message, {});
        CHECK(described(outcome) == std::vector<std::string>{"fileinto \"Box\""});
    }
}

TEST_CASE("a later script sees the header an earlier one edited", "[smtp][sieve]") {
    GlobalScripts global;
    global.before.push_back(compiled("require \"editheader\";\naddheader \"X-Tag\" \"spam\";\ndeleteheader \"X-Old\";\n"));
    auto outcome = run_scripts(
        global, {"mine", compiled("require \"fileinto\";\nif header :is \"x-tag\" \"spam\" { fileinto \"Tagged\"; }\n")},
        message, {});
    CHECK(described(outcome) == std::vector<std::string>{"fileinto \"Tagged\""});
    REQUIRE(outcome.header_edited);
    CHECK(outcome.header.front().raw == "X-Tag: spam\r\n");
    for (const auto& field : outcome.header) CHECK(field.name != "X-Old");
}

TEST_CASE("an error anywhere drops every action and says whose script failed", "[smtp][sieve]") {
    GlobalScripts global;
    global.before.push_back(compiled("require [\"fileinto\", \"copy\"];\nfileinto :copy \"Before\";\n"));
    auto outcome = run_scripts(global, {"mine", compiled("require \"ihave\";\nerror \"boom\";\n")}, message, {});
    CHECK(outcome.status == sieve::Status::error);
    CHECK(outcome.user_script_failed);
    CHECK(outcome.actions.empty());
    CHECK(outcome.error.rfind("mine: 2:", 0) == 0);
    global.after.push_back(compiled("require \"ihave\";\nerror \"admin\";\n"));
    auto theirs = run_scripts(global, {}, message, {});
    CHECK_FALSE(theirs.user_script_failed);
    CHECK(theirs.error.rfind("after #1: ", 0) == 0);
}

TEST_CASE("the reply of a reject all recipients agreed on", "[smtp][sieve]") {
    CHECK(reject_reply("Not here") == "550 5.7.1 Not here");
    CHECK(reject_reply("two\r\nlines") == "550 5.7.1 Message rejected by the recipient's filter");
    CHECK(reject_reply("caf\xc3\xa9") == "550 5.7.1 Message rejected by the recipient's filter");
    CHECK(reject_reply(std::string(201, 'a')) == "550 5.7.1 Message rejected by the recipient's filter");
}

TEST_CASE("the RFC 5429 rejection is an MDN with the reason and the header", "[smtp][sieve]") {
    std::string mdn = rejection_message({"mx.example.org", "s@remote.example", "alice@example.org",
                                         "Subject: hi\r\nMessage-ID: <1@x>\r\n", "no\nthanks"});
    CHECK(mdn.find("Content-Type: multipart/report; report-type=disposition-notification;") != std::string::npos);
    CHECK(mdn.find("Disposition: automatic-action/MDN-sent-automatically; deleted\r\n") != std::string::npos);
    CHECK(mdn.find("Original-Message-ID: <1@x>\r\n") != std::string::npos);
    CHECK(mdn.find("Final-Recipient: rfc822; alice@example.org\r\n") != std::string::npos);
    CHECK(mdn.find("no\r\nthanks\r\n") != std::string::npos);
    CHECK(mdn.find("Subject: Automatically rejected mail: hi\r\n") != std::string::npos);
    CHECK(mdn.find('\n') == mdn.find("\r\n") + 1);
}

TEST_CASE("header_value unfolds and finds the first field", "[smtp][sieve]") {
    std::string header = "Subject: a\r\n b\r\nsubject: second\r\nX: y\r\n";
    CHECK(header_value(header, "subject") == "a b");
    CHECK(header_value(header, "X") == "y");
    CHECK(header_value(header, "Missing").empty());
}

TEST_CASE("spamtest values from a verdict", "[smtp][sieve]") {
    CHECK(spam_test(-3, 15).score == 1);
    CHECK(spam_test(0, 15).percent == 0);
    CHECK(spam_test(7.5, 15).score == 5);
    CHECK(spam_test(7.5, 15).percent == 50);
    CHECK(spam_test(15, 15).score == 10);
    CHECK(spam_test(40, 15).percent == 100);
}

TEST_CASE("the script cache compiles a source once", "[smtp][sieve]") {
    ScriptCache cache(2);
    auto first = cache.compile("keep;\n");
    auto again = cache.compile("keep;\n");
    REQUIRE(std::holds_alternative<std::shared_ptr<const sieve::Script>>(first));
    CHECK(std::get<0>(first) == std::get<0>(again));
    CHECK(std::holds_alternative<sieve::Error>(cache.compile("frobnicate;\n")));
    cache.compile("discard;\n");
    cache.compile("stop;\n");  // over capacity: emptied, then kept
    CHECK(std::get<0>(cache.compile("keep;\n")) != std::get<0>(first));
}
