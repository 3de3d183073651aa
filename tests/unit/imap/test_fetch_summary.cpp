// The per-message IMAP summary: the cached ENVELOPE and BODYSTRUCTURE must
// be exactly what rendering from the structure gives, for every message of
// the MIME corpus, and a damaged or foreign summary must be refused.
#include <catch2/catch.hpp>

#include <filesystem>

#include "common/mime/structure.hpp"
#include "imap/bodystructure.hpp"
#include "imap/envelope.hpp"
#include "imap/fetch_summary.hpp"
#include "mime_corpus.hpp"

using namespace pochta;

TEST_CASE("fetch summary matches rendering for the whole MIME corpus", "[imap][summary]") {
    auto dir = imap::test::corpus_dir();
    size_t checked = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        if (entry.path().extension() != ".eml") continue;
        INFO(entry.path().filename().string());
        auto structure = mime::parse_message(imap::test::load_corpus(entry.path().filename().string()));
        std::string serialized = mime::serialize(structure);
        std::string summary = imap::make_fetch_summary(serialized);
        auto parsed = imap::parse_fetch_summary(summary);
        REQUIRE(parsed);
        CHECK(parsed->envelope == imap::render_envelope(structure.root));
        CHECK(parsed->bodystructure == imap::render_bodystructure(structure.root, true));
        checked++;
    }
    CHECK(checked >= 5);
}

TEST_CASE("fetch summaries that are empty, foreign or damaged are refused", "[imap][summary]") {
    std::string good = imap::make_fetch_summary(mime::serialize(mime::parse_message("Subject: x\r\n\r\nbody\r\n")));
    REQUIRE(imap::parse_fetch_summary(good));
    CHECK_FALSE(imap::parse_fetch_summary(""));
    CHECK_FALSE(imap::parse_fetch_summary("imap0:3:(a)(b)"));
    CHECK_FALSE(imap::parse_fetch_summary("imap1:"));
    CHECK_FALSE(imap::parse_fetch_summary("imap1:x:(a)(b)"));
    CHECK_FALSE(imap::parse_fetch_summary("imap1:99:(a)(b)"));
    CHECK_FALSE(imap::parse_fetch_summary("imap1:6:(a)(b)"));  // no BODYSTRUCTURE left
    CHECK(imap::make_fetch_summary("not a serialized structure").empty());
    auto split = imap::parse_fetch_summary("imap1:3:(a)(b)");
    REQUIRE(split);
    CHECK(split->envelope == "(a)");
    CHECK(split->bodystructure == "(b)");
}
