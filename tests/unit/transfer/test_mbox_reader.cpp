// The mbox reader (transfer/mbox_reader.cpp): message boundaries, From
// quoting, the bookkeeping headers turned into flags, offsets for resuming,
// the size limit, and input fed in small pieces.
#include <catch2/catch.hpp>


#include "store/store.hpp"
#include "tests/unit/transfer/read_mbox.hpp"
#include "transfer/mbox_reader.hpp"

using namespace pochta::transfer;
using namespace pochta::store;

namespace {

std::vector<MboxMessage> read_all(const std::string& input, size_t max_message = 1 << 20, size_t piece = 1 << 20,
                                  uint64_t start = 0, std::string* error = nullptr) {
    return pochta::test::read_mbox(input, max_message, piece, start, error);
}

const std::string sample =
    "From alice@example.org Tue Dec  8 00:27:32 2026\n"
    "Status: RO\n"
    "X-Status: AF\n"
    "X-Keywords: $Label1, work\n"
    "X-UID: 7\n"
    "Subject: one\n"
    "\n"
    "body\n"
    ">From the start\n"
    ">>From deeper\n"
    "\n"
    "From bob@example.org Wed Dec  9 01:00:00 2026\n"
    "Subject: two\n"
    "\n"
    "second\n";

}  // namespace

TEST_CASE("mbox messages, unquoted, with their flags and dates") {
    for (size_t piece : {size_t{1}, size_t{3}, size_t{1 << 20}}) {
        const auto messages = read_all(sample, 1 << 20, piece);
        REQUIRE(messages.size() == 2);
        CHECK(messages[0].data == "Subject: one\n\nbody\nFrom the start\n>From deeper\n");
        CHECK(messages[0].flags == (flag_seen | flag_answered | flag_flagged));
        CHECK(messages[0].keywords == std::vector<std::string>{"$Label1", "work"});
        CHECK(messages[0].internal_date == 1796689652);
        CHECK(messages[0].offset == 0);
        CHECK(messages[1].offset == messages[0].end);
        CHECK(messages[1].data == "Subject: two\n\nsecond\n");
        CHECK(messages[1].end == sample.size());
    }
}

TEST_CASE("an mbox read from a saved offset continues with the same messages") {
    const auto all = read_all(sample);
    const auto resumed = read_all(sample, 1 << 20, 5, all[1].offset);
    REQUIRE(resumed.size() == 1);
    CHECK(resumed[0].data == all[1].data);
    CHECK(read_all(sample, 1 << 20, 5, sample.size()).empty());
}

TEST_CASE("a message over the limit is marked, not kept") {
    const std::string big = "From x Tue Dec  8 00:27:32 2026\nSubject: big\n\n" + std::string(5000, 'x') + "\n" +
                            "From y Tue Dec  8 00:27:32 2026\n\nsmall\n";
    const auto messages = read_all(big, 1000, 77);
    REQUIRE(messages.size() == 2);
    CHECK(messages[0].too_large);
    CHECK(messages[0].data.empty());
    CHECK(messages[1].data == "\nsmall\n");
}

TEST_CASE("a file that does not start with From is no mbox") {
    std::string error;
    CHECK(read_all("Subject: hi\n\nbody\n", 1 << 20, 1 << 20, 0, &error).empty());
    CHECK_FALSE(error.empty());
    CHECK(read_all("").empty());
}

TEST_CASE("From line dates, with and without zones") {
    CHECK(mbox_from_date("From a@b Tue Dec  8 00:27:32 2026") == 1796689652);
    CHECK(mbox_from_date("From a@b Tue Dec  8 00:27:32 +0000 2026") == 1796689652);
    CHECK(mbox_from_date("From MAILER-DAEMON Thu Jan  1 00:00:00 1970") == 0);
    CHECK(mbox_from_date("From a@b garbage") == 0);
}
