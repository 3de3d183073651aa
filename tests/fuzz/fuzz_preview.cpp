// Fuzzes FETCH PREVIEW (imap/preview): an arbitrary message parsed by
// common/mime, then its preview made the way the FETCH renderer makes it.
// Checks: reads stay inside the message and within kPreviewReadLimit of a
// part's body; the preview is valid UTF-8 of at most kPreviewChars
// characters, with no control characters, no leading, trailing or doubled
// spaces; nothing is thrown.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/mime/charset.hpp"
#include "common/mime/structure.hpp"
#include "imap/preview.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace pochta;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view message(reinterpret_cast<const char*>(data), size);
    mime::Structure structure = mime::parse_message(message);
    std::string preview = imap::message_preview(structure.root, [&](uint64_t begin, uint64_t end) {
        FUZZ_CHECK(begin <= end && end <= message.size());
        FUZZ_CHECK(end - begin <= imap::kPreviewReadLimit);
        return std::string(message.substr(begin, end - begin));
    });
    FUZZ_CHECK(mime::sanitize_utf8(preview) == preview);
    size_t chars = 0;
    for (unsigned char c : preview) {
        FUZZ_CHECK(c >= ' ' && c != 0x7f);
        if ((c & 0xC0) != 0x80) chars++;
    }
    FUZZ_CHECK(chars <= imap::kPreviewChars);
    FUZZ_CHECK(preview.empty() || (preview.front() != ' ' && preview.back() != ' '));
    FUZZ_CHECK(preview.find("  ") == std::string::npos);
    return 0;
}
