// Fuzzes srs_reverse and srs_forward with the input as a local part and as
// a sender. Beyond "no crash": a reversal succeeds only for what the key
// made (a random input never verifies except by a 4-character hash
// collision, so it is not asserted), every address srs_forward makes
// reverses to the sender it came from, and nothing exceeds its bounds.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "mailauth/srs.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace pochta::mailauth;

namespace {

const std::vector<std::string> secrets = {"fuzz-secret-0123456789"};
constexpr int64_t now = 1767225600;

void check_forward(const std::string& sender) {
    std::string made = srs_forward(sender, "fwd.example", secrets.front(), now);
    if (made.empty()) return;
    size_t at = made.rfind('@');
    FUZZ_CHECK(at != std::string::npos && at <= 64);
    FUZZ_CHECK(made.substr(at + 1) == "fwd.example");
    FUZZ_CHECK(is_srs_local_part(made.substr(0, at)));
    SrsReversal back = srs_reverse(made.substr(0, at), secrets, now, 21);
    FUZZ_CHECK(back.error == SrsError::none);
    // SRS0 gives the sender back; SRS1 the first forwarder's SRS0 address.
    if (made.compare(0, 4, "SRS0") == 0) FUZZ_CHECK(back.address == sender);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string input(reinterpret_cast<const char*>(data), size);
    SrsReversal r = srs_reverse(input, secrets, now, 21);
    FUZZ_CHECK((r.error == SrsError::none) == !r.address.empty());
    FUZZ_CHECK(r.address.size() <= max_srs_input + 1);
    check_forward(input);
    return 0;
}
