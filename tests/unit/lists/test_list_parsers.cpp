#include <catch2/catch.hpp>

#include <string>

#include "lists/list_address.hpp"
#include "lists/list_message.hpp"
#include "lists/list_policy.hpp"
#include "lists/list_settings.hpp"
#include "lists/list_token.hpp"
#include "store/list_data.hpp"

using namespace pochta::lists;

TEST_CASE("list command addresses") {
    auto sub = parse_list_command("staff-subscribe");
    REQUIRE(sub);
    CHECK(sub->list_local == "staff");
    CHECK(sub->command == ListCommand::subscribe);
    auto plus = parse_list_command("my-list+unsubscribe");
    REQUIRE(plus);
    CHECK(plus->list_local == "my-list");
    CHECK(plus->command == ListCommand::unsubscribe);
    auto approve = parse_list_command("staff+approve-12.abc");
    REQUIRE(approve);
    CHECK(approve->command == ListCommand::approve);
    CHECK(approve->argument == "12.abc");
    CHECK(parse_list_command("staff-owner")->command == ListCommand::owner);
    // Argument words need '+' and an argument; unknown words are no command.
    CHECK_FALSE(parse_list_command("staff-approve-1.2"));
    CHECK_FALSE(parse_list_command("staff+approve-"));
    CHECK_FALSE(parse_list_command("staff+hello"));
    CHECK_FALSE(parse_list_command("-subscribe"));
    CHECK_FALSE(parse_list_command("staff"));
    CHECK_FALSE(parse_list_command(std::string(65, 'a') + "-owner"));
}

TEST_CASE("command and VERP addresses print back") {
    CHECK(command_address("staff@example.org", ListCommand::subscribe) == "staff-subscribe@example.org");
    CHECK(command_address("staff@example.org", ListCommand::confirm, "1.ab") == "staff+confirm-1.ab@example.org");
    const std::string verp = verp_address("staff@example.org", "bob@remote.example");
    CHECK(verp == "staff+bounce-bob=remote.example@example.org");
    auto parsed = parse_list_command(verp.substr(0, verp.find('@')));
    REQUIRE(parsed);
    CHECK(verp_member(parsed->argument) == "bob@remote.example");
    CHECK(verp_member("nodomain") == "");
}

TEST_CASE("tokens verify only with their secret and purpose") {
    const std::string token = make_token("s3cret", "moderate", 42);
    CHECK(check_token("s3cret", "moderate", token) == 42);
    CHECK_FALSE(check_token("other", "moderate", token));
    CHECK_FALSE(check_token("s3cret", "confirm", token));
    std::string altered = token;
    altered.back() = altered.back() == '0' ? '1' : '0';
    CHECK_FALSE(check_token("s3cret", "moderate", altered));
    std::string other_id = "43" + token.substr(token.find('.'));
    CHECK_FALSE(check_token("s3cret", "moderate", other_id));
    CHECK_FALSE(check_token("s3cret", "moderate", "42"));
    CHECK_FALSE(check_token("s3cret", "moderate", token + std::string(40, 'a')));
}

TEST_CASE("posting policies") {
    using pochta::store::list_member;
    using pochta::store::list_moderator;
    ListSettings s;
    s.policy = PostingPolicy::members;
    CHECK(decide_post(s, list_member) == PostDecision::distribute);
    CHECK(decide_post(s, 0) == PostDecision::hold);
    s.non_member = NonMemberAction::reject;
    CHECK(decide_post(s, 0) == PostDecision::reject);
    s.policy = PostingPolicy::open;
    CHECK(decide_post(s, 0) == PostDecision::distribute);
    s.policy = PostingPolicy::announce;
    CHECK(decide_post(s, list_member) == PostDecision::reject);
    CHECK(decide_post(s, list_moderator) == PostDecision::distribute);
    s.policy = PostingPolicy::moderated;
    CHECK(decide_post(s, list_member) == PostDecision::hold);
    CHECK(decide_post(s, list_moderator | list_member) == PostDecision::distribute);
}

TEST_CASE("settings are checked and read with defaults") {
    CHECK(check_setting("policy", "open").empty());
    CHECK_FALSE(check_setting("policy", "all").empty());
    CHECK_FALSE(check_setting("subject_prefix", "a\r\nBcc: x").empty());
    CHECK_FALSE(check_setting("nonsense", "1").empty());
    auto s = read_settings({{"policy", "announce"}, {"from_rewrite", "bogus"}, {"subject_prefix", "[x]"}});
    CHECK(s.policy == PostingPolicy::announce);
    CHECK(s.from_rewrite == FromRewrite::dmarc);
    CHECK(s.subject_prefix == "[x]");
}

TEST_CASE("a list copy replaces list fields, prefixes, rewrites From") {
    ListSettings settings;
    settings.subject_prefix = "[l]";
    settings.description = "Team";
    const std::string post =
        "From: =?utf-8?q?J=C3=B6rg=0D=0ABcc=3A_x?= <j@strict.example>\r\nReply-To: other@x.example\r\n"
        "List-Id: <old.example>\r\nSubject: hello\r\n there\r\nX-Loop: other@lists.example\r\n\r\nbody\r\n";
    const std::string copy = list_copy(post, {"l@example.org", &settings, true});
    CHECK(copy.find("List-Id: \"Team\" <l.example.org>\r\n") != std::string::npos);
    CHECK(copy.find("<old.example>") == std::string::npos);
    CHECK(copy.find("Subject: [l] hello\r\n there\r\n") != std::string::npos);
    CHECK(copy.find("From: =?utf-8?b?") == 0);
    CHECK(copy.find("\r\nBcc") == std::string::npos);
    CHECK(copy.find("Reply-To: =?utf-8?q?J=C3=B6rg=0D=0ABcc=3A_x?= <j@strict.example>\r\n") != std::string::npos);
    CHECK(copy.find("other@x.example") == std::string::npos);
    CHECK(copy.find("X-Loop: other@lists.example\r\n") != std::string::npos);
    CHECK(copy.substr(copy.size() - 8) == "\r\nbody\r\n");
    CHECK(has_looped(copy, "l@example.org"));
    CHECK_FALSE(has_looped(post, "l@example.org"));
    CHECK(author_address(post) == "j@strict.example");
    // Without the rewrite the author's fields stay.
    const std::string kept = list_copy(post, {"l@example.org", &settings, false});
    CHECK(kept.find("Reply-To: other@x.example\r\n") != std::string::npos);
    CHECK(kept.find("From: =?utf-8?q?J") == 0);
}

TEST_CASE("List-Archive names the archive mailbox on the IMAP server") {
    CHECK(archive_server("mail.example.org", 143, 993) == "imap://mail.example.org");
    CHECK(archive_server("mail.example.org", 1143, std::nullopt) == "imap://mail.example.org:1143");
    CHECK(archive_server("mail.example.org", std::nullopt, 993) == "imaps://mail.example.org");
    CHECK(archive_server("mail.example.org", 0, std::nullopt).empty());
    CHECK(archive_server("mail.example.org", std::nullopt, std::nullopt).empty());
    ListSettings settings;
    CopyOptions options{"l@example.org", &settings, false};
    CHECK(list_header_fields(options).find("List-Archive") == std::string::npos);
    options.archive_server = "imap://mail.example.org";
    CHECK(list_header_fields(options).find("List-Archive: <imap://mail.example.org/Lists/l@example.org>\r\n") !=
          std::string::npos);
}
