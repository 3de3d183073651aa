// A reader of HTTP/1.1 responses for pochta's own HTTP clients (the rspamd
// check, README.md "rspamd"; the ACME client, "ACME certificates"): bounded
// in head size, header count and total size; bodies framed by
// Content-Length, chunked transfer coding or the end of the connection.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pochta {

struct HttpResponse {
    int status = 0;
    std::vector<std::pair<std::string, std::string>> headers;  // names as sent
    std::string body;

    // The first header named `name` (any case), nullptr when absent.
    const std::string* header(std::string_view name) const;
};

struct HttpResponseLimits {
    size_t max_bytes = 1024 * 1024;  // the whole response as received
    size_t max_head = 16 * 1024;     // status line and header fields
    size_t max_headers = 64;
};

class HttpResponseParser {
public:
    explicit HttpResponseParser(HttpResponseLimits limits = {}) : limits_(limits) {}

    enum class State { more, done, failed };
    // Adds received bytes; done once the response is complete.
    State feed(std::string_view data);
    // The connection ended: complete for a body framed by the close.
    State finish();

    const HttpResponse& response() const { return response_; }
    const std::string& error() const { return error_; }

private:
    State parse(bool at_end);
    State fail(std::string reason);
    bool reject(std::string reason);  // fail() for the bool-returning steps
    bool parse_head(std::string_view head);
    // The decoded chunked body of `data`, nullopt while incomplete; sets
    // error_ when malformed.
    std::optional<std::string> dechunk(std::string_view data);

    HttpResponseLimits limits_;
    std::string received_;
    size_t body_start_ = 0;  // 0 until the head was parsed
    std::optional<size_t> content_length_;
    bool chunked_ = false;
    HttpResponse response_;
    std::string error_;
    State state_ = State::more;
};

}  // namespace pochta
