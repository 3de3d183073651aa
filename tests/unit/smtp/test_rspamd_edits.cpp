// rspamd's header changes as edits of the stored message (README.md,
// "rspamd"): which occurrence a removal takes, the Subject replaced or
// added, and our own edits winning over clashing ones.
#include <catch2/catch.hpp>

#include "smtp/rspamd_edits.hpp"

using namespace pochta;
using pochta::smtp::merge_edits;
using pochta::smtp::rspamd_header_edits;

namespace {

const std::string message =
    "X-Spam: a\r\nSubject: hello\r\nX-Spam: b\r\nFrom: x@example.org\r\nX-Spam: c\r\n\r\nbody\r\n";

std::string edited(const spam::RspamdResult& result) { return store::apply_edits(message, rspamd_header_edits(message, result)); }

spam::RspamdResult removing(int occurrence) {
    spam::RspamdResult r;
    r.remove_headers.push_back({"x-spam", occurrence});
    return r;
}

}  // namespace

TEST_CASE("rspamd removals: every field, the n-th, the n-th from the end", "[smtp][rspamd]") {
    CHECK(edited(removing(0)) == "Subject: hello\r\nFrom: x@example.org\r\n\r\nbody\r\n");
    CHECK(edited(removing(2)) == "X-Spam: a\r\nSubject: hello\r\nFrom: x@example.org\r\nX-Spam: c\r\n\r\nbody\r\n");
    CHECK(edited(removing(-1)) == "X-Spam: a\r\nSubject: hello\r\nX-Spam: b\r\nFrom: x@example.org\r\n\r\nbody\r\n");
    CHECK(edited(removing(4)) == message);    // there is no fourth
    CHECK(edited(removing(-4)) == message);
}

TEST_CASE("rspamd's Subject replaces the first one, or is added at the end of the header", "[smtp][rspamd]") {
    spam::RspamdResult r;
    r.action = spam::RspamdAction::rewrite_subject;
    r.subject = "*** SPAM *** hello";
    CHECK(edited(r) == "X-Spam: a\r\nSubject: *** SPAM *** hello\r\nX-Spam: b\r\nFrom: x@example.org\r\nX-Spam: c\r\n\r\nbody\r\n");
    const std::string bare = "From: x@example.org\r\n\r\nbody\r\n";
    CHECK(store::apply_edits(bare, rspamd_header_edits(bare, r)) ==
          "From: x@example.org\r\nSubject: *** SPAM *** hello\r\n\r\nbody\r\n");
    r.action = spam::RspamdAction::add_header;   // a subject without the rewrite action changes nothing
    CHECK(edited(r) == message);
}

TEST_CASE("merged edits stay sorted and ours win over clashing ones", "[smtp][rspamd]") {
    std::vector<store::ContentEdit> ours{{0, 0, "A: 1\r\n"}, {11, 7, "X-Subject"}};
    std::vector<store::ContentEdit> more{{11, 16, ""}, {0, 11, ""}, {27, 0, "B: 2\r\n"}};
    auto merged = merge_edits(ours, more);
    REQUIRE(merged.size() == 4);
    CHECK(merged[0].text == "A: 1\r\n");   // the insertion before the removal at the same offset
    CHECK(merged[1].length == 11);
    CHECK(merged[2].text == "X-Subject");
    CHECK(merged[3].text == "B: 2\r\n");
}
