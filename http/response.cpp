#include "http/response.hpp"

#include <fmt/format.h>

#include <ctime>

namespace pochta::http {
namespace {

// IMF-fixdate (RFC 9110 section 5.6.7): an origin server with a clock sends Date.
std::string http_date_now() {
    std::time_t now = std::time(nullptr);
    std::tm utc{};
    gmtime_r(&now, &utc);
    char text[64];
    size_t n = std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &utc);
    return std::string(text, n);
}

}  // namespace

Response Response::text(int status, std::string body) {
    Response r;
    r.status = status;
    r.body = std::move(body);
    return r;
}

std::string_view reason_phrase(int status) {
    switch (status) {
        case 200: return "OK";
        case 400: return "Bad Request";
        case 403: return "Forbidden";
        case 404: return "Not Found";
        case 405: return "Method Not Allowed";
        case 408: return "Request Timeout";
        case 413: return "Content Too Large";
        case 414: return "URI Too Long";
        case 431: return "Request Header Fields Too Large";
        case 500: return "Internal Server Error";
        case 501: return "Not Implemented";
        case 503: return "Service Unavailable";
        case 505: return "HTTP Version Not Supported";
        default: return "";
    }
}

std::string serialize(const Response& response, bool keep_alive, bool head) {
    std::string out = fmt::format(
        "HTTP/1.1 {} {}\r\nDate: {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: {}\r\n", response.status,
        reason_phrase(response.status), http_date_now(), response.content_type, response.body.size(),
        keep_alive ? "keep-alive" : "close");
    for (const auto& h : response.headers) out += fmt::format("{}: {}\r\n", h.name, h.value);
    out += "\r\n";
    if (!head) out += response.body;
    return out;
}

}  // namespace pochta::http
