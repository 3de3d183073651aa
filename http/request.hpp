// An HTTP/1.1 request as the listener reads it (README.md, "Autoconfig,
// MTA-STS and metrics"), and its bounded incremental parser (RFC 9112).
// Pure code: no sockets, so the fuzz target and the unit tests drive it
// directly.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pochta::http {

struct Header {
    std::string name;   // lowercased
    std::string value;  // without surrounding spaces and tabs
};

struct Request {
    std::string method;      // case-sensitive, as sent ("GET")
    std::string path;        // the path of the target as sent, never empty ("/")
    std::string query;       // after '?', without it ("" when absent)
    int minor_version = 1;   // HTTP/1.<minor_version>
    std::vector<Header> headers;
    std::string body;

    // The first header of that (lowercase) name.
    const std::string* header(std::string_view name) const;
    // HTTP/1.1 keeps the connection unless "Connection: close"; HTTP/1.0
    // only with "Connection: keep-alive" (RFC 9112 section 9.3).
    bool keep_alive() const;
    // The Host header without its port, lowercased ("" when absent).
    std::string host() const;
};

// Everything a client can make the parser hold is below these.
struct ParseLimits {
    size_t max_request_line = 8192;   // longer: 414
    size_t max_header_line = 8192;    // longer: 431
    size_t max_header_bytes = 16384;  // all header lines together: 431
    size_t max_headers = 64;          // more: 431
    size_t max_body = 65536;          // a longer Content-Length: 413
};

class RequestParser {
public:
    enum class Status { incomplete, complete, failed };

    explicit RequestParser(ParseLimits limits = {}) : limits_(limits) {}

    // Reads from `data` what completes lines (or body octets) and returns
    // how many octets it took; a partial line stays with the caller until
    // more arrives (at most the line limit: beyond it the parser fails).
    // Nothing is taken once the request is complete or has failed.
    size_t feed(std::string_view data);
    Status status() const { return status_; }
    // After failed: the status code to answer with (400, 413, 414, 431,
    // 501, 505) and a short reason for the log.
    int error_code() const { return error_code_; }
    const std::string& error_reason() const { return error_reason_; }

    // The complete request; the parser starts over for the next one.
    Request take();

private:
    enum class Stage { request_line, headers, body, done };
    size_t feed_line(std::string_view data);
    void on_request_line(std::string_view line);
    void on_header_line(std::string_view line);
    void on_headers_end();
    void fail(int code, std::string reason);

    ParseLimits limits_;
    Stage stage_ = Stage::request_line;
    Status status_ = Status::incomplete;
    int error_code_ = 0;
    std::string error_reason_;
    size_t header_bytes_ = 0;
    size_t body_left_ = 0;
    Request request_;
};

// The value of the query parameter `name` (compared case-insensitively),
// percent- and '+'-decoded; nullopt when absent or badly encoded.
std::optional<std::string> query_param(std::string_view query, std::string_view name);

// Percent-decoding ("%40" -> "@"); '+' becomes a space when `plus_is_space`.
// nullopt on a broken escape.
std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space);

}  // namespace pochta::http
