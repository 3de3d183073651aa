// RFC 8058 one-click unsubscribe: the member tokens and the fields a
// member's copy carries (lists/list_token.hpp, lists/list_unsubscribe.hpp).
#include <catch2/catch.hpp>

#include "lists/list_token.hpp"
#include "lists/list_unsubscribe.hpp"

using namespace pochta::lists;

TEST_CASE("a member token names its list and member, and verifies only with its secret") {
    const std::string token = make_member_token("s3cret", "staff@example.org", "carol@remote.example");
    auto named = check_member_token("s3cret", token);
    REQUIRE(named);
    CHECK(named->list == "staff@example.org");
    CHECK(named->member == "carol@remote.example");
    CHECK_FALSE(check_member_token("other", token));

    // Another member's name with this MAC, a cut or altered MAC, junk.
    const std::string mac = token.substr(token.find('.'));
    const std::string dave = make_member_token("s3cret", "staff@example.org", "dave@remote.example");
    CHECK_FALSE(check_member_token("s3cret", dave.substr(0, dave.find('.')) + mac));
    CHECK_FALSE(check_member_token("s3cret", token.substr(0, token.size() - 1)));
    std::string altered = token;
    altered.back() = altered.back() == '0' ? '1' : '0';
    CHECK_FALSE(check_member_token("s3cret", altered));
    for (const char* junk : {"", ".", "zz.00", "0.", "abc", "6c.6c"}) CHECK_FALSE(check_member_token("s3cret", junk));
    CHECK_FALSE(check_member_token("s3cret", std::string(max_member_token + 1, 'a')));
}

TEST_CASE("a member's copy carries its one-click URL and the mailto form") {
    CHECK(one_click_base("mail.example.org", std::nullopt).empty());
    CHECK(one_click_base("mail.example.org", 443) == "https://mail.example.org/lists/unsubscribe");
    const std::string base = one_click_base("mail.example.org", 8443);
    CHECK(base == "https://mail.example.org:8443/lists/unsubscribe");

    const std::string fields = one_click_fields(base, "s3cret", "staff@example.org", "carol@remote.example");
    const std::string token = make_member_token("s3cret", "staff@example.org", "carol@remote.example");
    CHECK(fields == "List-Unsubscribe: <" + base + "?t=" + token + ">,\r\n <mailto:staff-unsubscribe@example.org>\r\n"
                    "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n");

    // A URL too long for a header line (long addresses): the mailto form only.
    const std::string long_list = "staff@" + std::string(190, 'd') + ".org";
    const std::string long_member = "m@" + std::string(230, 'r') + ".example";
    CHECK(one_click_fields(base, "s3cret", long_list, long_member) ==
          "List-Unsubscribe: <mailto:staff-unsubscribe@" + std::string(190, 'd') + ".org>\r\n");
}
