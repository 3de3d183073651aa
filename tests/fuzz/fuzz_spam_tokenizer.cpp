// Fuzzes the spam tokenizer (spam/tokenizer) with a whole message. Beyond
// "no crash": the token keys are distinct and sorted, within the token limit,
// and GTUBE is found exactly when present.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "spam/tokenizer.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace pochta::spam;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view message(reinterpret_cast<const char*>(data), size);
    TokenizerLimits limits;
    limits.max_tokens = 500;        // small, so the fuzzer reaches the limit
    limits.max_part_text = 4096;
    limits.max_text = 16384;
    Tokens t = tokenize_message(message, limits);
    FUZZ_CHECK(t.keys.size() <= limits.max_tokens);
    FUZZ_CHECK(std::adjacent_find(t.keys.begin(), t.keys.end(), std::greater_equal<>()) == t.keys.end());
    if (message.find(gtube) != std::string_view::npos) FUZZ_CHECK(t.gtube);
    FUZZ_CHECK(t.author.size() <= 254);
    return 0;
}
