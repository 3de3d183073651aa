// Fuzzes parse_dmarc_record (DMARC TXT records are untrusted DNS data) and
// find_author (the From field DMARC judges). Beyond "no crash": a parsed
// record's values are within their ranges, an invalid one says why, and
// a record is DMARC only if it starts with a v tag.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mailauth/dmarc_author.hpp"
#include "mailauth/dmarc_record.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace pochta::mailauth;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    DmarcRecordParse parsed = parse_dmarc_record(text);
    switch (parsed.status) {
        case DmarcRecordStatus::not_dmarc: break;
        case DmarcRecordStatus::invalid: FUZZ_CHECK(!parsed.error.empty()); break;
        case DmarcRecordStatus::valid:
            FUZZ_CHECK(parsed.error.empty());
            FUZZ_CHECK(parsed.record.percent <= 100);
            FUZZ_CHECK(text.size() <= max_dmarc_record);
            break;
    }
    if (parsed.status != DmarcRecordStatus::not_dmarc) FUZZ_CHECK(text.find("DMARC1") != std::string_view::npos);

    Author author = find_author(text);
    FUZZ_CHECK(author.domain.empty() == (author.status != AuthorStatus::one_domain));
    return 0;
}
