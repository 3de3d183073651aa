// Fuzzes the HTTP request parser. Beyond "no crash", checks what the
// session relies on: the input arriving in pieces gives the same outcome as
// arriving at once, a complete request stays within the limits, and a
// partial line held back by the parser is never longer than its limit.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "http/request.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace pochta::http;

namespace {

// Small limits, so the fuzzer reaches every one of them.
constexpr ParseLimits limits{.max_request_line = 200, .max_header_line = 120, .max_header_bytes = 400,
                             .max_headers = 6, .max_body = 300};

struct Outcome {
    RequestParser::Status status = RequestParser::Status::incomplete;
    int code = 0;
    Request request;
    size_t consumed = 0;
};

// Feeds `data` as the session does: whatever is buffered, `step` new
// octets at a time; what the parser leaves stays buffered.
Outcome parse(std::string_view data, size_t step) {
    RequestParser parser(limits);
    std::string buffered;
    size_t offered = 0;
    Outcome out;
    while (parser.status() == RequestParser::Status::incomplete && offered < data.size()) {
        size_t n = std::min(step, data.size() - offered);
        buffered.append(data.substr(offered, n));
        offered += n;
        size_t taken = parser.feed(buffered);
        FUZZ_CHECK(taken <= buffered.size());
        out.consumed += taken;
        buffered.erase(0, taken);
        if (parser.status() == RequestParser::Status::incomplete)
            FUZZ_CHECK(buffered.size() <= std::max(limits.max_request_line, limits.max_header_line));
    }
    out.status = parser.status();
    out.code = parser.error_code();
    if (out.status == RequestParser::Status::complete) out.request = parser.take();
    return out;
}

void check_request(const Request& r) {
    FUZZ_CHECK(!r.method.empty() && !r.path.empty() && r.path.front() == '/');
    FUZZ_CHECK(r.minor_version == 0 || r.minor_version == 1);
    FUZZ_CHECK(r.headers.size() <= limits.max_headers && r.body.size() <= limits.max_body);
    for (const auto& h : r.headers) {
        FUZZ_CHECK(!h.name.empty());
        for (char c : h.name) FUZZ_CHECK(!(c >= 'A' && c <= 'Z'));
        for (unsigned char c : h.value) FUZZ_CHECK(c == '\t' || (c >= 0x20 && c != 0x7f));
    }
    if (r.minor_version == 1) FUZZ_CHECK(r.header("host") != nullptr);
    FUZZ_CHECK(r.header("transfer-encoding") == nullptr);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    size_t step = 1 + data[0] % 16;
    std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
    Outcome whole = parse(input, input.size() + 1);
    Outcome pieces = parse(input, step);
    FUZZ_CHECK(whole.status == pieces.status && whole.code == pieces.code);
    if (whole.status == RequestParser::Status::failed) {
        FUZZ_CHECK(whole.code == 400 || whole.code == 413 || whole.code == 414 || whole.code == 431 ||
                   whole.code == 501 || whole.code == 505);
    }
    if (whole.status == RequestParser::Status::complete) {
        check_request(whole.request);
        FUZZ_CHECK(whole.consumed == pieces.consumed);
        FUZZ_CHECK(whole.request.path == pieces.request.path && whole.request.body == pieces.request.body);
        FUZZ_CHECK(whole.request.headers.size() == pieces.request.headers.size());
        // The query decoder is bounded by its input.
        if (auto v = query_param(whole.request.query, "emailaddress")) FUZZ_CHECK(v->size() <= whole.request.query.size());
    }
    return 0;
}
