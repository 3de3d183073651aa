#include "http/request.hpp"

#include <algorithm>

#include "common/util/strings.hpp"

namespace pochta::http {
namespace {

// RFC 9110 section 5.6.2.
bool is_tchar(char c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_token(std::string_view s) { return !s.empty() && std::all_of(s.begin(), s.end(), is_tchar); }

// Visible ASCII: what a request-target may hold (RFC 3986 characters).
bool is_target_text(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

// Field values: visible characters, spaces, tabs and obs-text; no NUL,
// CR or other control characters (RFC 9110 section 5.5).
bool is_field_value(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) {
        auto u = static_cast<unsigned char>(c);
        return u == '\t' || (u >= 0x20 && u != 0x7f);
    });
}

std::string_view trim_ows(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// Whether a comma-separated header value lists `token` (case-insensitive).
bool lists_token(const std::string* value, std::string_view token) {
    if (!value) return false;
    for (std::string_view item : split(*value, ','))
        if (iequals(trim_ows(item), token)) return true;
    return false;
}

// "http://host:port/path?q" (absolute-form, RFC 9112 section 3.2.2) -> "/path?q".
std::string_view origin_part(std::string_view target) {
    for (std::string_view scheme : {"http://", "https://"}) {
        if (!istarts_with(target, scheme)) continue;
        size_t slash = target.find('/', scheme.size());
        return slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
    }
    return target;
}

}  // namespace

const std::string* Request::header(std::string_view name) const {
    for (const auto& h : headers)
        if (h.name == name) return &h.value;
    return nullptr;
}

bool Request::keep_alive() const {
    const std::string* connection = header("connection");
    if (minor_version == 0) return lists_token(connection, "keep-alive");
    return !lists_token(connection, "close");
}

std::string Request::host() const {
    const std::string* value = header("host");
    if (!value) return "";
    std::string_view host = *value;
    if (!host.empty() && host.front() == '[') {
        size_t close = host.find(']');
        return to_lower(close == std::string_view::npos ? host : host.substr(0, close + 1));
    }
    return to_lower(host.substr(0, host.find(':')));
}

size_t RequestParser::feed(std::string_view data) {
    size_t taken = 0;
    while (status_ == Status::incomplete && taken < data.size()) {
        std::string_view rest = data.substr(taken);
        if (stage_ == Stage::body) {
            size_t n = std::min(body_left_, rest.size());
            request_.body.append(rest.substr(0, n));
            body_left_ -= n;
            taken += n;
            if (body_left_ == 0) {
                stage_ = Stage::done;
                status_ = Status::complete;
            }
            continue;
        }
        size_t n = feed_line(rest);
        if (n == 0) break;
        taken += n;
    }
    return taken;
}

// One line (LF or CRLF ended, RFC 9112 section 2.2) or nothing yet.
size_t RequestParser::feed_line(std::string_view data) {
    bool first = stage_ == Stage::request_line;
    size_t limit = first ? limits_.max_request_line : limits_.max_header_line;
    size_t lf = data.find('\n');
    if (lf == std::string_view::npos || lf + 1 > limit) {
        if (data.size() >= limit || lf != std::string_view::npos) {
            if (first) fail(414, "request line too long");
            else fail(431, "header line too long");
        }
        return 0;
    }
    std::string_view line = data.substr(0, lf);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (first) {
        // RFC 9112 section 2.2: empty lines before the request line are ignored.
        if (!line.empty()) on_request_line(line);
    } else {
        header_bytes_ += lf + 1;
        if (header_bytes_ > limits_.max_header_bytes) fail(431, "header too large");
        else if (line.empty()) on_headers_end();
        else on_header_line(line);
    }
    return lf + 1;
}

void RequestParser::on_request_line(std::string_view line) {
    size_t sp1 = line.find(' ');
    size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
    if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos)
        return fail(400, "malformed request line");
    std::string_view method = line.substr(0, sp1);
    std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    std::string_view version = line.substr(sp2 + 1);
    if (!is_token(method)) return fail(400, "malformed method");
    if (version.size() != 8 || version.substr(0, 5) != "HTTP/") return fail(400, "malformed version");
    if (version.substr(5) != "1.1" && version.substr(5) != "1.0") return fail(505, "HTTP version not supported");
    if (target.empty() || !is_target_text(target)) return fail(400, "malformed target");
    target = origin_part(target);
    if (target.front() != '/') return fail(400, "target is not a path");
    size_t question = target.find('?');
    request_.method = method;
    request_.path = target.substr(0, question);
    request_.query = question == std::string_view::npos ? "" : target.substr(question + 1);
    request_.minor_version = version.back() - '0';
    stage_ = Stage::headers;
}

void RequestParser::on_header_line(std::string_view line) {
    // obs-fold (a line starting with a space) is refused (RFC 9112 section 5.2).
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) return fail(400, "header line without a colon");
    std::string_view name = line.substr(0, colon);
    std::string_view value = trim_ows(line.substr(colon + 1));
    if (!is_token(name)) return fail(400, "malformed header name");
    if (!is_field_value(value)) return fail(400, "control character in a header value");
    if (request_.headers.size() == limits_.max_headers) return fail(431, "too many header fields");
    request_.headers.push_back({to_lower(name), std::string(value)});
}

void RequestParser::on_headers_end() {
    // RFC 9112 section 6.1: a body this server cannot frame is refused,
    // never guessed at (request smuggling).
    if (request_.header("transfer-encoding")) return fail(501, "Transfer-Encoding is not supported");
    if (request_.minor_version == 1 && !request_.header("host")) return fail(400, "HTTP/1.1 request without Host");
    const std::string* length_text = nullptr;
    for (const auto& h : request_.headers) {
        if (h.name != "content-length") continue;
        if (length_text && *length_text != h.value) return fail(400, "conflicting Content-Length");
        length_text = &h.value;
    }
    body_left_ = 0;
    if (length_text) {
        auto length = parse_uint(*length_text);
        if (!length) return fail(400, "malformed Content-Length");
        if (*length > limits_.max_body) return fail(413, "body too large");
        body_left_ = static_cast<size_t>(*length);
        request_.body.reserve(body_left_);
    }
    stage_ = body_left_ ? Stage::body : Stage::done;
    if (stage_ == Stage::done) status_ = Status::complete;
}

void RequestParser::fail(int code, std::string reason) {
    status_ = Status::failed;
    error_code_ = code;
    error_reason_ = std::move(reason);
}

Request RequestParser::take() {
    Request out = std::move(request_);
    *this = RequestParser(limits_);
    return out;
}

std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space) {
    std::string out;
    out.reserve(text.size());
    for (size_t i = 0; i < text.size(); i++) {
        char c = text[i];
        if (c == '+' && plus_is_space) {
            out += ' ';
        } else if (c == '%') {
            if (i + 2 >= text.size()) return std::nullopt;
            int high = hex_digit_value(text[i + 1]), low = hex_digit_value(text[i + 2]);
            if (high < 0 || low < 0) return std::nullopt;
            out += static_cast<char>(high * 16 + low);
            i += 2;
        } else {
            out += c;
        }
    }
    return out;
}

std::optional<std::string> query_param(std::string_view query, std::string_view name) {
    for (std::string_view pair : split(query, '&')) {
        size_t equals = pair.find('=');
        std::string_view key = pair.substr(0, equals);
        if (!iequals(key, name)) continue;
        return percent_decode(equals == std::string_view::npos ? "" : pair.substr(equals + 1), true);
    }
    return std::nullopt;
}

}  // namespace pochta::http
