// Fuzzes the classifier (spam/classifier) with counts read from the input:
// two corpus sizes, then pairs of token counts. The probability is always
// a number in [0, 1], untrained corpora say nothing, and the clues stay
// within max_clues.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "spam/classifier.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace pochta::spam;

namespace {

uint32_t read_u32(const uint8_t*& data, size_t& size) {
    uint32_t v = 0;
    size_t n = size < 4 ? size : 4;
    std::memcpy(&v, data, n);
    data += n;
    size -= n;
    return v;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    Corpus corpus{read_u32(data, size), read_u32(data, size)};
    std::vector<TokenCount> counts;
    while (size > 0) counts.push_back({read_u32(data, size), read_u32(data, size)});
    ClassifierOptions options;
    options.max_clues = 20;
    Classification c = classify(counts, corpus, options);
    FUZZ_CHECK(std::isfinite(c.spam_probability));
    FUZZ_CHECK(c.spam_probability >= 0 && c.spam_probability <= 1);
    FUZZ_CHECK(c.clues <= options.max_clues);
    if (corpus.total() < options.min_messages) FUZZ_CHECK(!c.trained);
    for (const TokenCount& count : counts) {
        double p = token_probability(count, corpus, options);
        FUZZ_CHECK(std::isfinite(p) && p >= 0 && p <= 1);
    }
    return 0;
}
