// Fuzzes parse_auth_results and find_claimed_auth_results (incoming
// Authentication-Results fields are untrusted). Beyond "no crash": bounds
// hold, what was parsed formats into a field that parses back to the same
// authserv-id and results, and every claimed offset starts a field name.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "mailauth/auth_results.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace pochta::mailauth;

namespace {

bool printable(std::string_view s) {
    for (unsigned char c : s)
        if (c < 0x20 || c == 0x7f) return false;
    return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto parsed = parse_auth_results(text);
    if (parsed) {
        FUZZ_CHECK(!parsed->authserv_id.empty());
        FUZZ_CHECK(parsed->results.size() <= max_auth_results);
        if (printable(parsed->authserv_id)) {
            std::string field = format_auth_results(parsed->authserv_id, parsed->results);
            auto again = parse_auth_results(std::string_view(field).substr(field.find(':') + 1));
            FUZZ_CHECK(again);
            FUZZ_CHECK(again->authserv_id == parsed->authserv_id);
            FUZZ_CHECK(again->results.size() == parsed->results.size());
            for (size_t i = 0; i < parsed->results.size(); i++) {
                FUZZ_CHECK(again->results[i].method == parsed->results[i].method);
                FUZZ_CHECK(again->results[i].result == parsed->results[i].result);
                FUZZ_CHECK(again->results[i].properties.size() == parsed->results[i].properties.size());
            }
        }
    }
    for (size_t offset : find_claimed_auth_results(text, "mx.example.test")) {
        FUZZ_CHECK(offset < text.size());
        FUZZ_CHECK(offset == 0 || text[offset - 1] == '\n');
    }
    return 0;
}
