// Fuzzes the dovecot-uidlist, dovecot-keywords and subscriptions parsers. Beyond "no
// crash": entries have distinct non-zero UIDs and names a Maildir could
// hold, nothing is set when the header is refused, and keyword slots stay
// 26 with no line break or control character inside a name.
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>

#include "common/util/strings.hpp"
#include "tests/fuzz/fuzz_check.hpp"
#include "transfer/maildir_format.hpp"

using namespace pochta::transfer;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string input(reinterpret_cast<const char*>(data), size);
    const Uidlist list = parse_uidlist(input);
    if (!list.error.empty()) FUZZ_CHECK(list.entries.empty() && list.uidvalidity == 0 && list.uidnext == 0);
    std::set<uint32_t> uids;
    for (const auto& e : list.entries) {
        FUZZ_CHECK(e.uid != 0);
        FUZZ_CHECK(uids.insert(e.uid).second);
        FUZZ_CHECK(parse_maildir_name(e.base).has_value());
    }
    const auto slots = parse_keywords(input);
    FUZZ_CHECK(slots.size() == maildir_keyword_slots);
    for (const auto& name : slots) FUZZ_CHECK(!pochta::has_control_chars(name) && name.size() <= 128);
    // Subscriptions written back read the same.
    const auto names = parse_subscriptions(input);
    FUZZ_CHECK(parse_subscriptions(subscriptions_file(names)) == names);
    return 0;
}
