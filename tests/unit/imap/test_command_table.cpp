#include <catch2/catch.hpp>

#include <cctype>
#include <set>
#include <string>

#include "imap/command_table.hpp"

using namespace pochta::imap;

TEST_CASE("command table: one well-formed row per command") {
    std::set<std::string_view> names;
    for (const CommandSpec& spec : command_table()) {
        INFO(std::string(spec.name));
        CHECK(names.insert(spec.name).second);
        CHECK(spec.handler != nullptr);
        CHECK(spec.states != 0);
        for (char c : spec.name) CHECK(std::isupper(static_cast<unsigned char>(c)));
        // A "$" or a held message number only makes sense on a selected mailbox.
        if (spec.saved_result || spec.holds_numbers || spec.uid_form) CHECK(spec.states == in_selected);
        if (spec.saved_result_uid_only) CHECK(spec.uid_form);
    }
    CHECK(names.size() == 36);
}

TEST_CASE("command table: lookup by upper-case name") {
    REQUIRE(find_command("FETCH") != nullptr);
    CHECK(find_command("FETCH")->name == "FETCH");
    CHECK(find_command("fetch") == nullptr);
    CHECK(find_command("UID") == nullptr);
    CHECK(find_command("XYZZY") == nullptr);
    CHECK(find_command("") == nullptr);
}

TEST_CASE("command table: states") {
    for (auto name : {"CAPABILITY", "NOOP", "LOGOUT", "ID"}) CHECK(find_command(name)->states == in_any);
    for (auto name : {"STARTTLS", "LOGIN", "AUTHENTICATE"})
        CHECK(find_command(name)->states == in_not_authenticated);
    for (auto name : {"CHECK", "CLOSE", "UNSELECT", "EXPUNGE", "SEARCH", "FETCH", "STORE", "COPY", "MOVE", "SORT", "THREAD"})
        CHECK(find_command(name)->states == in_selected);
    for (auto name : {"SELECT", "EXAMINE", "CREATE", "DELETE", "RENAME", "LIST", "LSUB", "STATUS", "APPEND", "IDLE",
                      "ENABLE", "NAMESPACE", "SUBSCRIBE", "UNSUBSCRIBE", "COMPRESS", "GETQUOTA", "GETQUOTAROOT", "SETQUOTA"}) {
        CHECK(find_command(name)->valid_in(in_authenticated));
        CHECK(find_command(name)->valid_in(in_selected));
        CHECK_FALSE(find_command(name)->valid_in(in_not_authenticated));
    }
}

TEST_CASE("command table: UID forms, saved result and EXPUNGE responses") {
    std::set<std::string_view> uid_forms, saved, quiet;
    for (const CommandSpec& spec : command_table()) {
        if (spec.uid_form) uid_forms.insert(spec.name);
        if (spec.takes_saved_result(false)) saved.insert(spec.name);
        if (!spec.may_expunge(false)) quiet.insert(spec.name);
        CHECK(spec.may_expunge(true));  // every UID form may announce EXPUNGE
    }
    CHECK(uid_forms ==
          std::set<std::string_view>{"COPY", "EXPUNGE", "FETCH", "MOVE", "SEARCH", "SORT", "STORE", "THREAD"});
    CHECK(saved == std::set<std::string_view>{"COPY", "FETCH", "MOVE", "STORE"});
    CHECK(find_command("EXPUNGE")->takes_saved_result(true));
    CHECK_FALSE(find_command("EXPUNGE")->takes_saved_result(false));
    CHECK_FALSE(find_command("SEARCH")->takes_saved_result(true));  // esearch reads "$" itself
    // RFC 3501 7.4.1: no EXPUNGE while FETCH, STORE or SEARCH (and SORT, THREAD) answer.
    CHECK(quiet == std::set<std::string_view>{"FETCH", "SEARCH", "SORT", "STORE", "THREAD"});
}
