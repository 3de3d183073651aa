#include <catch2/catch.hpp>

#include <map>

#include "sieve/interpreter.hpp"

using namespace pochta::sieve;

namespace {

const char* message_text =
    "From: Alice <alice@example.org>\r\n"
    "To: bob+lists@example.test\r\n"
    "Subject: Quarterly report\r\n"
    "Message-ID: <m1@example.org>\r\n"
    "\r\n"
    "Numbers inside.\r\n";

std::shared_ptr<const Script> compiled(std::string_view text) {
    auto result = compile(text);
    if (auto* e = std::get_if<Error>(&result)) FAIL(e->message);
    return std::get<std::shared_ptr<const Script>>(result);
}

Result run_text(std::string_view script, Context context = {}, const Budget& budget = {}) {
    Message message(message_text);
    return run(*compiled(script), message, context, budget);
}

std::vector<std::string> described(const Result& result) {
    std::vector<std::string> out;
    for (const Action& a : result.actions) out.push_back(describe(a));
    return out;
}

}  // namespace

TEST_CASE("sieve run: the implicit keep and what cancels it") {
    CHECK(described(run_text("")) == std::vector<std::string>{"keep"});
    Result r = run_text("require \"fileinto\"; fileinto \"Reports\";");
    CHECK(described(r) == std::vector<std::string>{"fileinto \"Reports\""});
    CHECK(r.delivers());
    r = run_text("discard;");
    CHECK(described(r) == std::vector<std::string>{"discard"});
    CHECK_FALSE(r.delivers());
    REQUIRE(std::holds_alternative<Keep>(run_text("").actions[0]));
    CHECK(std::get<Keep>(run_text("").actions[0]).implicit);
}

TEST_CASE("sieve run: a runtime error drops the actions and keeps the message") {
    Result r = run_text("require [\"fileinto\", \"reject\"];\nfileinto \"A\";\nreject \"no\";");
    CHECK(r.status == Status::error);
    CHECK(r.error == "3:1: reject conflicts with an earlier action");
    CHECK(described(r) == std::vector<std::string>{"keep"});
}

TEST_CASE("sieve run: redirects are capped") {
    Budget budget;
    budget.max_redirects = 2;
    Result r = run_text("redirect \"a@x.example\"; redirect \"b@x.example\"; redirect \"c@x.example\";", {}, budget);
    CHECK(r.status == Status::error);
    CHECK(r.error.find("too many redirects") != std::string::npos);
}

TEST_CASE("sieve run: the instruction budget stops a long script") {
    std::string script = "require \"variables\";\n";
    for (int i = 0; i < 2000; i++) script += "if header :contains \"subject\" \"x\" { keep; }\n";
    Budget budget;
    budget.max_steps = 1000;
    Result r = run_text(script, {}, budget);
    CHECK(r.status == Status::budget);
    CHECK(r.error.find("instruction budget spent") != std::string::npos);
    CHECK(described(r) == std::vector<std::string>{"keep"});
}

TEST_CASE("sieve run: strings that double stop at the memory budget") {
    std::string script = "require \"variables\"; set \"a\" \"0123456789abcdef\";\n";
    for (int i = 0; i < 40; i++) script += "set \"a\" \"${a}${a}\";\n";
    Result r = run_text(script);
    CHECK(r.status == Status::budget);
    CHECK(r.error.find("too large") != std::string::npos);
}

TEST_CASE("sieve run: includes that loop stop with a budget error") {
    std::map<std::string, std::shared_ptr<const Script>> scripts{
        {"a", compiled("require \"include\"; include \"b\";")},
        {"b", compiled("require \"include\"; include \"a\";")},
    };
    Context context;
    context.include = [&](IncludeLocation, std::string_view name) { return scripts.at(std::string(name)); };
    Result r = run_text("require \"include\"; include \"a\";", context);
    CHECK(r.status == Status::budget);
    CHECK(r.error.find("include loop") != std::string::npos);
    CHECK(described(r) == std::vector<std::string>{"keep"});
}

TEST_CASE("sieve run: duplicate asks the context and lists the mark") {
    Context context;
    std::string asked;
    context.seen_before = [&](const DuplicateCheck& check) {
        asked = check.id;
        return true;
    };
    Result r = run_text("require \"duplicate\"; if duplicate :seconds 60 { discard; }", context);
    CHECK(asked == "<m1@example.org>");
    CHECK(described(r) == std::vector<std::string>{"discard"});
    REQUIRE(r.duplicate_marks.size() == 1);
    CHECK(r.duplicate_marks[0].seconds == 60);
}

TEST_CASE("sieve run: editheader changes the header every action delivers") {
    Result r = run_text("require \"editheader\"; addheader \"X-Filed\" \"yes\"; deleteheader \"subject\"; "
                        "deleteheader \"received\";");
    REQUIRE(r.header_edited);
    CHECK(r.header.front().name == "X-Filed");
    Message message(message_text);
    std::string rebuilt = rebuild_message(message, r.header);
    CHECK(rebuilt.rfind("X-Filed: yes\r\nFrom: Alice", 0) == 0);
    CHECK(rebuilt.find("Subject:") == std::string::npos);
    CHECK(rebuilt.find("\r\n\r\nNumbers inside.\r\n") != std::string::npos);
    CHECK(r.notes == std::vector<std::string>{"deleteheader received: protected field, left alone"});
}

TEST_CASE("sieve run: vacation carries every parameter") {
    Result r = run_text("require [\"vacation\", \"vacation-seconds\"]; vacation :seconds 60 :subject \"Out\" "
                        ":from \"bob@example.test\" :addresses [\"b@example.test\"] :mime :handle \"h\" \"Back soon\";");
    REQUIRE(r.actions.size() == 2);
    const auto& v = std::get<Vacation>(r.actions[0]);
    CHECK(v.seconds == 60);
    CHECK(v.subject == "Out");
    CHECK(v.from == "bob@example.test");
    CHECK(v.addresses == std::vector<std::string>{"b@example.test"});
    CHECK(v.mime);
    CHECK(v.handle == "h");
    CHECK(v.reason == "Back soon");
}

TEST_CASE("sieve run: the context's envelope, environment and verdicts") {
    Context context;
    context.envelope = {"alice@example.org", "bob+lists@example.test", ""};
    context.environment["remote-ip"] = "192.0.2.1";
    context.spam_score = 9;
    context.mailbox_exists = [](std::string_view name) { return name == "Lists"; };
    Result r = run_text("require [\"envelope\", \"subaddress\", \"environment\", \"spamtest\", \"relational\", "
                        "\"comparator-i;ascii-numeric\", \"mailbox\", \"fileinto\", \"imap4flags\"];"
                        "if allof(envelope :detail \"to\" \"lists\", environment \"remote-ip\" \"192.0.2.1\", "
                        "mailboxexists \"Lists\", spamtest :value \"ge\" :comparator \"i;ascii-numeric\" \"8\") "
                        "{ addflag \"\\\\Seen\"; fileinto :create \"Lists\"; }",
                        context);
    CHECK(described(r) == std::vector<std::string>{"fileinto \"Lists\" create flags=\\Seen"});
}

TEST_CASE("sieve run: compiled scripts are shared read-only between runs") {
    auto script = compiled("require [\"regex\", \"variables\", \"fileinto\"]; "
                           "if header :regex \"subject\" \"^(\\\\w+)\" { fileinto \"${1}\"; }");
    Message message(message_text);
    for (int i = 0; i < 3; i++) CHECK(described(run(*script, message, {})) == std::vector<std::string>{"fileinto \"Quarterly\""});
}
