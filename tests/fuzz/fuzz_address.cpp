// Fuzzes parse_path and parse_address. The first input byte picks the flags
// (allow_utf8, lenient); the rest is the text. Beyond "no crash", checks
// that every accepted address respects the limits, prints back to text that
// parses to the same address, and that strict acceptance implies lenient.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/address/address.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace pochta;

namespace {

bool has_non_ascii(std::string_view s) {
    for (unsigned char c : s)
        if (c >= 0x80) return true;
    return false;
}

bool has_control(std::string_view s) {
    for (unsigned char c : s)
        if (c < 32 || c == 127) return true;
    return false;
}

bool same(const Address& a, const Address& b) {
    return a.local == b.local && a.domain == b.domain && a.domain_literal == b.domain_literal && a.utf8 == b.utf8;
}

void check_address(const Address& a, bool allow_utf8) {
    FUZZ_CHECK(a.local.size() <= 64);
    FUZZ_CHECK(!a.domain.empty() && a.domain.size() <= 255);
    FUZZ_CHECK(!has_control(a.local) && !has_control(a.domain));
    FUZZ_CHECK(a.utf8 == (has_non_ascii(a.local) || has_non_ascii(a.domain)));
    FUZZ_CHECK(allow_utf8 || !a.utf8);
    FUZZ_CHECK(a.domain_literal == (a.domain.front() == '['));

    // Printing and parsing again gives the same address, and printing is stable.
    std::string printed = a.str();
    auto again = parse_address(printed, allow_utf8);
    FUZZ_CHECK(again.has_value());
    FUZZ_CHECK(same(*again, a));
    FUZZ_CHECK(again->str() == printed);
    FUZZ_CHECK(again->canonical() == a.canonical());

    if (printed.size() + 2 <= 256) {
        std::string_view rest;
        PathResult path = parse_path("<" + printed + ">", allow_utf8, false, &rest);
        FUZZ_CHECK(path.error == PathError::none);
        FUZZ_CHECK(!path.null_path && !path.had_source_route);
        FUZZ_CHECK(same(path.address, a));
        FUZZ_CHECK(rest.empty());
    }

    if (is_plain_local_part(a)) {
        FUZZ_CHECK(!a.local.empty());
        FUZZ_CHECK(a.local.find_first_of("%!@\" \\") == std::string::npos);
        FUZZ_CHECK(printed.front() != '"');
    }
}

void check_path(std::string_view text, bool allow_utf8, bool lenient) {
    std::string_view rest = "sentinel";
    PathResult r = parse_path(text, allow_utf8, lenient, &rest);
    if (r.error != PathError::none) {
        FUZZ_CHECK(rest.empty());
        FUZZ_CHECK(r.address.local.empty() && r.address.domain.empty());
        return;
    }
    // rest is a suffix of the input, without leading spaces.
    FUZZ_CHECK(rest.empty() || rest.data() + rest.size() == text.data() + text.size());
    FUZZ_CHECK(rest.empty() || rest.front() != ' ');
    if (r.null_path) {
        FUZZ_CHECK(r.address.local.empty() && r.address.domain.empty());
    } else {
        check_address(r.address, allow_utf8);
    }
    if (!lenient) {
        // Whatever strict mode accepts, lenient mode accepts identically.
        std::string_view lenient_rest;
        PathResult l = parse_path(text, allow_utf8, true, &lenient_rest);
        FUZZ_CHECK(l.error == PathError::none);
        FUZZ_CHECK(l.null_path == r.null_path && same(l.address, r.address));
        FUZZ_CHECK(lenient_rest == rest);
    }
    if (!allow_utf8) {
        // Allowing UTF-8 never turns an accepted path into a refused one.
        FUZZ_CHECK(parse_path(text, true, lenient, nullptr).error == PathError::none);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    const bool allow_utf8 = data[0] & 1;
    const bool lenient = data[0] & 2;
    std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);

    check_path(text, allow_utf8, lenient);

    if (auto address = parse_address(text, allow_utf8)) {
        check_address(*address, allow_utf8);
        FUZZ_CHECK(address->quoted_local == (text.front() == '"'));
    }
    return 0;
}
