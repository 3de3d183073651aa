// An HTTP/1.1 response and its wire form (RFC 9112 section 4). Pure code.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "http/request.hpp"

namespace pochta::http {

struct Response {
    int status = 200;
    std::string content_type = "text/plain; charset=utf-8";
    std::string body;
    std::vector<Header> headers;  // besides the ones serialize() writes

    static Response text(int status, std::string body);
};

// "Not Found" for 404, ...; "" for a code this server never sends.
std::string_view reason_phrase(int status);

// The status line, Date, Content-Type, Content-Length, Connection, the
// extra headers, then the body (left out for HEAD, RFC 9110 section 9.3.2).
std::string serialize(const Response& response, bool keep_alive, bool head);

}  // namespace pochta::http
