// The keys SORT and THREAD keep per message (imap/sort_keys.hpp): what they
// hold, their stored form, and its decoder's refusals.
#include <catch2/catch.hpp>

#include "common/mime/structure.hpp"
#include "imap/sort_keys.hpp"
#include "search_fixture.hpp"

using namespace pochta;
using namespace pochta::imap;
using namespace pochta::imap::test;

namespace {

SortKeys keys_of(std::string_view headers) {
    std::string raw = crlf(std::string(headers) + "\nbody\n");
    std::optional<SortKeys> keys = decode_sort_keys(make_stored_sort_keys(raw, mime::serialize(mime::parse_message(raw))));
    REQUIRE(keys);
    return *keys;
}

}  // namespace

TEST_CASE("sort keys: prepared for their comparators") {
    SortKeys k = keys_of(
        "From: =?utf-8?q?=C3=89mile?= <Mike@Example.org>\nTo: undisclosed:;, Bob <bob@x.example>\n"
        "Cc: carl@example.org\nSubject: Re: [list] Fwd: Apple pie\nDate: Thu, 5 Jan 2023 12:00:00 +0300\n"
        "Message-ID: <1@x>\n");
    CHECK(k.sent_date == at(2023, 1, 5, 9));
    CHECK(k.subject == "APPLE PIE");
    CHECK(k.reply_or_forward);
    CHECK(k.from == "MIKE");
    CHECK(k.to == "BOB");
    CHECK(k.cc == "CARL");
    CHECK(k.display_from == "E\xcc\x81MILE");  // i;unicode-casemap: titlecase, NFKD
    CHECK(k.display_to == "BOB");
    CHECK(k.message_id != 0);
    CHECK(k.references.empty());

    SortKeys bare = keys_of("Subject: plain\nDate: yesterday\n");
    CHECK_FALSE(bare.sent_date);
    CHECK_FALSE(bare.reply_or_forward);
    CHECK(bare.from.empty());
    CHECK(bare.display_from.empty());
    CHECK(bare.message_id == 0);
}

TEST_CASE("sort keys: References, else In-Reply-To, hashed as the Message-ID is") {
    SortKeys parent = keys_of("Message-ID: <p@x>\n");
    SortKeys other = keys_of("Message-ID: <q@x>\n");
    CHECK(parent.message_id != other.message_id);
    SortKeys reply = keys_of("Message-ID: <r@x>\nIn-Reply-To: <zz@x> <p@x>\n");
    CHECK(reply.references == std::vector<uint64_t>{keys_of("Message-ID: <zz@x>\n").message_id});
    SortKeys referring = keys_of("References: <q@x>\n <p@x>\nIn-Reply-To: <zz@x>\n");
    CHECK(referring.references == std::vector<uint64_t>{other.message_id, parent.message_id});

    std::string many = "References:";
    for (size_t i = 0; i < kMaxReferences + 10; ++i) many += " <" + std::to_string(i) + "@x>";
    SortKeys capped = keys_of(many + "\n");
    REQUIRE(capped.references.size() == kMaxReferences);
    CHECK(capped.references.front() == keys_of("Message-ID: <10@x>\n").message_id);
}

TEST_CASE("sort keys: the stored form reads back, anything else does not") {
    SortKeys k;
    k.sent_date = -86400;
    k.subject = "S";
    k.display_to = std::string(300, 'x');
    k.message_id = ~uint64_t{0};
    k.references = {1, 2, 3};
    std::string stored = encode_sort_keys(k);
    CHECK(decode_sort_keys(stored) == k);
    CHECK(decode_sort_keys(encode_sort_keys(SortKeys{})) == SortKeys{});

    CHECK_FALSE(decode_sort_keys(""));
    for (size_t cut = 0; cut < stored.size(); ++cut) CHECK_FALSE(decode_sort_keys(stored.substr(0, cut)));
    CHECK_FALSE(decode_sort_keys(stored + "x"));
    std::string other_version = stored;
    other_version[0] = 2;
    CHECK_FALSE(decode_sort_keys(other_version));
    k.references.assign(kMaxReferences + 1, 7);
    CHECK_FALSE(decode_sort_keys(encode_sort_keys(k)));
}

TEST_CASE("sort keys: message_ids") {
    using Ids = std::vector<std::string>;
    CHECK(message_ids("<a@b> <c@d>") == Ids{"a@b", "c@d"});
    CHECK(message_ids("  <a @\r\n b>") == Ids{"a@b"});
    CHECK(message_ids("(comment <x@y>) <z@w>") == Ids{"z@w"});
    CHECK(message_ids("(nested (deep <q@q>) still) <z@w>") == Ids{"z@w"});
    CHECK(message_ids("<<a@b>") == Ids{"a@b"});
    CHECK(message_ids("Your message of Monday <a@b>") == Ids{"a@b"});
    CHECK(message_ids("<>").empty());
    CHECK(message_ids("<unterminated").empty());
    CHECK(message_ids("garbage").empty());
    CHECK(message_ids("").empty());
}

