// Fuzzes the one-click unsubscribe token parser (lists/list_token.hpp), fed
// by anyone who requests /lists/unsubscribe?t=...: beyond "no crash", a
// token is accepted only when it is exactly the one made for its list and
// member.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "lists/list_token.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace pochta;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view token(reinterpret_cast<const char*>(data), size);
    auto named = lists::check_member_token("secret", token);
    if (named) FUZZ_CHECK(lists::make_member_token("secret", named->list, named->member) == token);
    return 0;
}
