// Fuzzes the mailing-list parsers that read what strangers send: the
// command in a list address's local part, the VERP member, the approval
// and confirmation tokens, and the header walk of list_copy/has_looped.
// The first byte picks the parser; the rest is the input. Beyond "no
// crash": a parsed command address prints back to the same local part, a
// token is accepted only with its own MAC, and a list copy keeps the body.
// Bounce reports (list_bounces) and footers (list_footer) are read from
// what strangers send too: a footer never loses the post's body.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "lists/list_address.hpp"
#include "lists/list_bounces.hpp"
#include "lists/list_footer.hpp"
#include "lists/list_message.hpp"
#include "lists/list_token.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace pochta;

namespace {

void fuzz_command(std::string_view local) {
    auto parsed = lists::parse_list_command(local);
    if (!parsed) return;
    FUZZ_CHECK(!parsed->list_local.empty());
    const std::string printed = lists::command_address(parsed->list_local + "@d", parsed->command, parsed->argument);
    const std::string_view printed_local = std::string_view(printed).substr(0, printed.size() - 2);
    auto again = lists::parse_list_command(printed_local);
    FUZZ_CHECK(again && again->command == parsed->command && again->argument == parsed->argument &&
               again->list_local == parsed->list_local);
}

void fuzz_token(std::string_view token) {
    auto id = lists::check_token("secret", "moderate", token);
    if (!id) return;
    FUZZ_CHECK(lists::make_token("secret", "moderate", *id) == token);
}

void fuzz_copy(std::string_view message) {
    lists::ListSettings settings;
    settings.subject_prefix = "[l]";
    const std::string copy = lists::list_copy(message, {"l@example.org", &settings, true});
    FUZZ_CHECK(lists::has_looped(copy, "l@example.org"));
    (void)lists::author_address(message);
}

void fuzz_footer(std::string_view message) {
    const std::string out = lists::with_footer(message, "footer\nline");
    FUZZ_CHECK(out.size() > message.size());
    (void)lists::read_bounce(message);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
    switch (data[0] % 5) {
        case 0: fuzz_command(input); break;
        case 1: fuzz_token(input); break;
        case 2: fuzz_copy(input); break;
        case 3: (void)lists::verp_member(input); break;
        default: fuzz_footer(input); break;
    }
    return 0;
}
