// Content edits (store/content_edit.hpp): the Authentication-Results field
// inserted and claimed fields renamed, in memory and by copying a spool.
#include <catch2/catch.hpp>

#include <stdexcept>

#include "store/content_edit.hpp"
#include "store/message_prep.hpp"
#include "store/spool.hpp"
#include "tests/unit/store/store_test_util.hpp"

using namespace pochta::store;
using namespace pochta::store::testing;

namespace {

const std::vector<ContentEdit> edits = {{4, 0, "[inserted]"}, {10, 3, "XYZ"}};

}  // namespace

TEST_CASE("edits apply in order to a string", "[store][edit]") {
    CHECK(apply_edits("0123456789abcdef", edits) == "0123[inserted]456789XYZdef");
    CHECK(apply_edits("0123", {}) == "0123");
    CHECK(apply_edits("0123", {{4, 0, "!"}}) == "0123!");
    CHECK_THROWS_AS(apply_edits("0123", {{3, 2, "x"}}), std::invalid_argument);
    CHECK_THROWS_AS(apply_edits("0123456789", {{5, 0, "a"}, {4, 0, "b"}}), std::invalid_argument);
}

TEST_CASE("an edited spool is a new finished spool; the source stays", "[store][edit]") {
    TempDir tmp;
    auto store = Store::open(tmp.data());
    const std::string message = "0123456789abcdef" + message_text(200'000, 'e');
    Spool source(store->spool_dir());
    source.append(message);
    REQUIRE(source.finish().empty());
    auto copy = edited_spool(source, edits);
    const std::string expected = apply_edits(message, edits);
    CHECK(copy->view() == expected);
    CHECK(copy->sha256() == prepare_message(expected, {}).sha256);
    CHECK(copy->path() != source.path());
    CHECK(copy->path().parent_path() == source.path().parent_path());
    CHECK(source.view() == message);
}
