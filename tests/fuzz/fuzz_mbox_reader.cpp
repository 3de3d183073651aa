// Fuzzes the mbox reader, fed in pieces of varying size (the first byte
// picks the size) with a small message limit. Beyond "no crash": messages
// come in file order with offsets inside the input, none is longer than
// the limit, and a reader started at any message's offset (a resumed
// import) reads exactly the same messages from there on.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "tests/fuzz/fuzz_check.hpp"
#include "tests/unit/transfer/read_mbox.hpp"
#include "transfer/mbox_reader.hpp"

using namespace pochta::transfer;

namespace {

constexpr size_t max_message = 4096;

std::vector<MboxMessage> read_all(std::string_view input, uint64_t start, size_t piece) {
    return pochta::test::read_mbox(input, max_message, piece, start);
}

bool same(const MboxMessage& a, const MboxMessage& b) {
    return a.data == b.data && a.flags == b.flags && a.keywords == b.keywords && a.offset == b.offset &&
           a.end == b.end && a.too_large == b.too_large && a.internal_date == b.internal_date;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    const size_t piece = 1 + data[0] % 64;
    const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
    const auto all = read_all(input, 0, piece);
    uint64_t last_end = 0;
    for (const auto& m : all) {
        FUZZ_CHECK(m.offset == last_end);
        FUZZ_CHECK(m.end > m.offset && m.end <= input.size());
        FUZZ_CHECK(m.data.size() <= max_message);
        FUZZ_CHECK(!m.too_large || m.data.empty());
        last_end = m.end;
    }
    if (all.size() > 1) {
        const size_t k = all.size() / 2;
        const auto resumed = read_all(input, all[k].offset, piece + 7);
        FUZZ_CHECK(resumed.size() == all.size() - k);
        for (size_t i = 0; i < resumed.size(); ++i) FUZZ_CHECK(same(resumed[i], all[k + i]));
    }
    return 0;
}
