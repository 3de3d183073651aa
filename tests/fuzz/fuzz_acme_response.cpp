// Fuzzes what the ACME client reads from the network (common/util/http_response,
// acme/https_client's URL reader, common/net's ALPN list walk): an HTTP
// response fed in two pieces and then byte by byte must end the same way,
// within its bounds; URLs taken from the CA's answers parse to a host and
// a target without spaces or control characters.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/util/http_response.hpp"
#include "acme/https_client.hpp"
#include "common/net/acme_challenge.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace pochta;
using namespace pochta::acme;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);
    HttpResponseLimits limits{.max_bytes = 4096, .max_headers = 16};
    HttpResponseParser halves(limits), bytes(limits);
    halves.feed(input.substr(0, size / 2));
    auto state = halves.feed(input.substr(size / 2));
    if (state == HttpResponseParser::State::more) state = halves.finish();
    auto byte_state = HttpResponseParser::State::more;
    for (char c : input) byte_state = bytes.feed(std::string_view(&c, 1));
    if (byte_state == HttpResponseParser::State::more) byte_state = bytes.finish();
    FUZZ_CHECK(state == byte_state);
    if (state == HttpResponseParser::State::done) {
        FUZZ_CHECK(halves.response().body == bytes.response().body);
        FUZZ_CHECK(halves.response().body.size() <= limits.max_bytes);
        FUZZ_CHECK(halves.response().headers.size() <= limits.max_headers);
    }
    if (auto url = parse_https_url(input)) {
        FUZZ_CHECK(!url->host.empty() && url->target.starts_with('/'));
        for (char c : url->target) FUZZ_CHECK(static_cast<unsigned char>(c) > ' ' && c != 0x7f);
    }
    pochta::net::alpn_list_offers(input, pochta::net::acme_tls_alpn_protocol);
    return 0;
}
