// `pochta check` in the store (README.md, "Integrity"): what is reported,
// what --repair does, and a lost index refusing to open.
#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>

#include "store/blob_files.hpp"
#include "store/store.hpp"
#include "tests/unit/store/store_test_util.hpp"

using namespace pochta::store;
using namespace pochta::store::testing;
namespace fs = std::filesystem;

namespace {

const std::string alice = "alice@example.org";

std::vector<fs::path> blob_paths(const TempDir& tmp) {
    std::vector<fs::path> out;
    for (const auto& e : fs::recursive_directory_iterator(tmp.data() / "blobs"))
        if (e.is_regular_file()) out.push_back(e.path());
    return out;
}

fs::path blob_of(const TempDir& tmp, const std::string& data) {
    return BlobFiles(tmp.data()).path_for(sha256_hex(data));
}

size_t count(const IntegrityReport& r, IntegrityProblem::Kind kind) {
    return static_cast<size_t>(
        std::count_if(r.problems.begin(), r.problems.end(), [kind](const auto& p) { return p.kind == kind; }));
}

}  // namespace

TEST_CASE("check finds lost, damaged and stray blobs; repair expunges only the lost", "[store][integrity]") {
    TempDir tmp;
    {
        auto store = Store::open(tmp.data());
        store->deliver(local_delivery({alice}, message_text(100'000, 'a'), "q1"));
        CHECK(store->check_integrity(false).problems.empty());
        store->deliver(local_delivery({alice}, message_text(100'000, 'b'), "q2"));
        store->deliver(local_delivery({alice}, message_text(100'000, 'c'), "q3"));
        store->deliver(local_delivery({alice}, message_text(300, 'd'), "q4"));  // inline
    }
    REQUIRE(blob_paths(tmp).size() == 3);
    REQUIRE(fs::remove(blob_of(tmp, message_text(100'000, 'a'))));
    {
        std::fstream f(blob_of(tmp, message_text(100'000, 'b')), std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(5000);
        f.put('!');  // same size, other bytes: only the hash tells
    }
    fs::resize_file(blob_of(tmp, message_text(100'000, 'c')), 10);
    const fs::path stray = tmp.data() / "blobs" / "00" / "00" / std::string(64, '0');
    fs::create_directories(stray.parent_path());
    std::ofstream(stray) << "stray";

    Options cli;
    cli.maintenance = false;
    auto store = Store::open(tmp.data(), cli);
    IntegrityReport report = store->check_integrity(false);
    CHECK(report.orphans_checked);
    CHECK(count(report, IntegrityProblem::Kind::blob_missing) == 1);
    CHECK(count(report, IntegrityProblem::Kind::blob_damaged) == 2);
    CHECK(count(report, IntegrityProblem::Kind::orphan_file) == 1);
    for (const auto& p : report.problems) {
        if (p.kind == IntegrityProblem::Kind::blob_missing) {
            CHECK(p.user == alice);
            CHECK(p.mailbox == "INBOX");
            CHECK(p.uid == 1);
        }
    }
    report = store->check_integrity(true);
    CHECK(fs::exists(stray) == false);
    const auto box = *store->find_mailbox(alice, "INBOX");
    std::vector<uint32_t> uids;
    for (const auto& m : store->list_messages(box.id)) uids.push_back(m.uid);
    std::sort(uids.begin(), uids.end());
    CHECK(uids == std::vector<uint32_t>{2, 3, 4});  // damaged ones are kept for a restore
    report = store->check_integrity(false);
    CHECK(count(report, IntegrityProblem::Kind::blob_damaged) == 2);
    CHECK(report.problems.size() == 2);
}

TEST_CASE("a missing or empty index beside blob files refuses to open", "[store][integrity]") {
    TempDir tmp;
    Store::open(tmp.data())->deliver(local_delivery({alice}, message_text(100'000, 'i')));
    for (const char* extra : {"index.db-wal", "index.db-shm"}) fs::remove(tmp.data() / extra);
    std::ofstream(tmp.data() / "index.db", std::ios::trunc).close();
    CHECK_THROWS_WITH(Store::open(tmp.data()), Catch::Contains((tmp.data() / "index.db").string()) &&
                                                   Catch::Contains("refusing"));
    fs::remove(tmp.data() / "index.db");
    CHECK_THROWS_WITH(Store::open(tmp.data()), Catch::Contains("is missing"));
    CHECK(fs::file_size(blob_paths(tmp).at(0)) > 0);  // the mail is left alone
}
