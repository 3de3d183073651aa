// Fuzzes the rspamd client's readers (common/util/json and http_response,
// spam/rspamd): the input
// is an HTTP response fed in two pieces, its body an rspamd answer. Beyond
// "no crash": the body stays within its bound, header fields made from
// the answer are single lines, and JSON that parses once parses the same.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/util/http_response.hpp"
#include "common/util/json.hpp"
#include "spam/rspamd.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace pochta;
using namespace pochta::spam;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);
    HttpResponseParser parser;
    parser.feed(input.substr(0, size / 2));
    parser.feed(input.substr(size / 2));
    parser.finish();
    const std::string& body = parser.response().body;
    FUZZ_CHECK(body.size() <= HttpResponseLimits{}.max_bytes);
    for (std::string_view text : {input, std::string_view(body)}) {
        if (auto answer = parse_rspamd_answer(text)) {
            for (const auto& [name, value] : answer->add_headers)
                if (auto field = header_field(name, value)) {
                    FUZZ_CHECK(field->find('\n') == field->size() - 1);
                    FUZZ_CHECK(field->find('\r') == field->size() - 2);
                }
        }
        if (auto json = parse_json(text)) FUZZ_CHECK(parse_json(text).has_value());
    }
    return 0;
}
