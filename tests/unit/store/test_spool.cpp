// Spools (README.md, "Spooling"): a message written in pieces to a 0600
// file under data_dir/tmp, hashed as it goes, delivered by a link.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <future>

#include "common/net/loop.hpp"
#include "store/async_store.hpp"
#include "store/message_prep.hpp"
#include "store/spool.hpp"
#include "tests/unit/store/store_test_util.hpp"

using namespace pochta;
using namespace pochta::store;
using namespace pochta::store::testing;
namespace fs = std::filesystem;

TEST_CASE("a spool hashes and counts what it wrote, in a private file", "[store][spool]") {
    TempDir tmp;
    auto store = Store::open(tmp.data());
    const std::string message = "Subject: s\nbare\nlines\r\n" + message_text(300'000, 's');
    fs::path path;
    {
        Spool spool(store->spool_dir());
        for (size_t at = 0; at < message.size(); at += 4096) spool.append(std::string_view(message).substr(at, 4096));
        REQUIRE(spool.finish().empty());
        path = spool.path();
        struct stat st {};
        REQUIRE(::stat(path.c_str(), &st) == 0);
        CHECK((st.st_mode & 0777) == 0600);
        const PreparedMessage whole = prepare_message(message, {});
        CHECK(spool.sha256() == whole.sha256);
        CHECK(spool.crlf_size() == whole.crlf_size);
        CHECK(spool.size() == message.size());
        CHECK(spool.view() == message);
    }
    CHECK_FALSE(fs::exists(path));  // the file goes with the spool
}

TEST_CASE("a spooled delivery is stored byte for byte and its file becomes the blob", "[store][spool]") {
    TempDir tmp;
    auto store = Store::open(tmp.data());
    net::EventLoop loop;
    const std::string message = message_text(500'000, 'q');
    std::promise<Error> written;
    {
        AsyncStore async(loop, *store);
        auto stream = async.open_spool();
        for (size_t at = 0; at < message.size(); at += 65536) stream->write(message.substr(at, 65536));
        CHECK(stream->behind() > 0);  // queued for the spool thread, not written by the loop
        bool caught_up = false;
        stream->when_caught_up([&] { caught_up = true; });
        stream->finish([&, stream](Error error) {
            CHECK(caught_up);
            CHECK(error.empty());
            Delivery d = local_delivery({"alice@example.org"}, "");
            d.spool = stream->spool();
            async.deliver(std::move(d), [&](Error e) {
                written.set_value(e);
                loop.stop();
            });
        });
        auto guard = loop.start_timer(std::chrono::seconds(20), [&] { loop.stop(); });
        loop.run();
    }
    auto result = written.get_future();
    REQUIRE(result.wait_for(std::chrono::seconds(0)) == std::future_status::ready);
    CHECK(result.get().empty());
    const auto box = *store->find_mailbox("alice@example.org", "INBOX");
    const auto messages = store->list_messages(box.id);
    REQUIRE(messages.size() == 1);
    CHECK(store->read_message(messages[0].id) == message);
    CHECK(messages[0].crlf_size == crlf_size_of(message));
    CHECK(fs::is_empty(store->spool_dir()));
    CHECK(store->check_integrity(false).problems.empty());
}

TEST_CASE("a spooled APPEND is stored byte for byte, its file linked as the blob", "[store][spool]") {
    TempDir tmp;
    Options options;
    options.summarize = [](const std::string& structure) { return "summary of " + std::to_string(structure.size()); };
    auto store = Store::open(tmp.data(), options);
    store->ensure_user("alice@example.org");
    const std::string message = "Subject: spooled append\r\nContent-Type: text/plain\r\n\r\n" + message_text(400'000, 'a');
    auto spool = std::make_shared<Spool>(store->spool_dir());
    for (size_t at = 0; at < message.size(); at += 65536) spool->append(std::string_view(message).substr(at, 65536));
    REQUIRE(spool->finish().empty());
    const fs::path spool_path = spool->path();

    AppendRequest request;
    request.user = "alice@example.org";
    request.mailbox = "INBOX";
    request.spool = spool;
    request.flags = flag_flagged;
    request.keywords = {"$Work"};
    request.internal_date = 1'600'000'000;
    const AppendResult appended = store->append(request);
    CHECK(appended.uid == 1);

    const auto box = *store->find_mailbox("alice@example.org", "INBOX");
    const auto messages = store->list_messages(box.id);
    REQUIRE(messages.size() == 1);
    CHECK(store->read_message(messages[0].id) == message);
    CHECK(messages[0].size == message.size());
    CHECK(messages[0].crlf_size == crlf_size_of(message));
    CHECK(messages[0].flags == flag_flagged);
    CHECK(messages[0].keywords == std::vector<std::string>{"$Work"});
    CHECK(messages[0].internal_date == 1'600'000'000);
    // The structure (ENVELOPE, BODYSTRUCTURE) was parsed from the spool at APPEND.
    CHECK(query_int(tmp.data(), "SELECT count(*) FROM blobs WHERE structure IS NOT NULL AND summary IS NOT NULL") == 1);
    CHECK(store->message_structure(messages[0].id) == *parse_structure(message));
    // Linked, not copied: the blob is the spool's file (same inode) until the spool goes.
    struct stat spool_stat {};
    REQUIRE(::stat(spool_path.c_str(), &spool_stat) == 0);
    CHECK(spool_stat.st_nlink == 2);
    spool.reset();
    request.spool.reset();
    CHECK(fs::is_empty(store->spool_dir()));
    CHECK(store->check_integrity(false).problems.empty());
}

TEST_CASE("a spooled APPEND refuses data beside its spool", "[store][spool]") {
    TempDir tmp;
    auto store = Store::open(tmp.data());
    store->ensure_user("alice@example.org");
    auto spool = std::make_shared<Spool>(store->spool_dir());
    spool->append("Subject: x\r\n\r\nbody\r\n");
    REQUIRE(spool->finish().empty());
    AppendRequest request;
    request.user = "alice@example.org";
    request.mailbox = "INBOX";
    request.spool = spool;
    request.data = "Subject: other\r\n\r\n";
    CHECK_THROWS_AS(store->append(request), StoreError);
}
