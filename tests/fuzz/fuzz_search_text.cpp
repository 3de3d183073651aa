// Fuzzes the text SEARCH compares and indexes: the HTML-to-text reader
// (common/mime/html_text) and i;unicode-casemap (imap/casemap), on arbitrary bytes.
// Checks:
//  - html_text never makes the text longer (tags and white space shrink,
//    a character reference is at least as long as its UTF-8);
//  - casemap is idempotent: casemap(casemap(x)) == casemap(x), the
//    property that makes a substring of a folded text the fold of a
//    substring; its output is at most 18 code points per input one (the
//    longest NFKD expansion) and valid UTF-8 stays valid UTF-8.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/mime/charset.hpp"
#include "imap/casemap.hpp"
#include "common/mime/html_text.hpp"
#include "tests/fuzz/fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);

    std::string text = pochta::mime::html_text(input);
    FUZZ_CHECK(text.size() <= input.size());

    std::string mapped = pochta::imap::casemap(input);
    FUZZ_CHECK(pochta::imap::casemap(mapped) == mapped);
    FUZZ_CHECK(mapped.size() <= input.size() * 18 * 4 / 2 + 4);
    std::string valid = pochta::mime::sanitize_utf8(input);
    FUZZ_CHECK(pochta::mime::sanitize_utf8(pochta::imap::casemap(valid)) == pochta::imap::casemap(valid));
    return 0;
}
