// Fuzzes the Maildir file and folder name parsers. Beyond "no crash": a
// parsed name's flags written back with maildir_info parse to the same
// flags and letters, and a folder name that decodes encodes back to the
// same directory name.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

#include "tests/fuzz/fuzz_check.hpp"
#include "transfer/maildir_format.hpp"

using namespace pochta::transfer;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string input(reinterpret_cast<const char*>(data), size);
    if (auto name = parse_maildir_name(input)) {
        FUZZ_CHECK(name->base.size() <= max_maildir_name);
        FUZZ_CHECK(name->keyword_letters.size() <= maildir_keyword_slots);
        auto again = parse_maildir_name(name->base + maildir_info(name->flags, name->keyword_letters));
        if (!name->base.empty()) {
            FUZZ_CHECK(again && again->flags == name->flags);
            std::string a = again->keyword_letters, b = name->keyword_letters;
            std::sort(a.begin(), a.end());
            std::sort(b.begin(), b.end());
            FUZZ_CHECK(a == b);
        }
    }
    if (auto folder = folder_from_maildir(input)) {
        FUZZ_CHECK(!folder->empty());
        if (auto back = maildir_from_folder(*folder); back && !back->empty()) FUZZ_CHECK(*back == input);
    }
    return 0;
}
