#include "common/util/http_response.hpp"

#include "common/util/strings.hpp"

namespace pochta {
namespace {

constexpr std::string_view kCrlf = "\r\n";
constexpr size_t kMaxChunkSizeDigits = 8;

std::optional<size_t> parse_hex(std::string_view digits) {
    if (digits.empty() || digits.size() > kMaxChunkSizeDigits) return std::nullopt;
    size_t value = 0;
    for (char c : digits) {
        int d = hex_digit_value(c);
        if (d < 0) return std::nullopt;
        value = value * 16 + static_cast<size_t>(d);
    }
    return value;
}

bool is_token_char(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

}  // namespace

const std::string* HttpResponse::header(std::string_view name) const {
    for (const auto& [key, value] : headers)
        if (iequals(key, name)) return &value;
    return nullptr;
}

HttpResponseParser::State HttpResponseParser::fail(std::string reason) {
    error_ = std::move(reason);
    return state_ = State::failed;
}

bool HttpResponseParser::reject(std::string reason) {
    fail(std::move(reason));
    return false;
}

HttpResponseParser::State HttpResponseParser::feed(std::string_view data) {
    if (state_ != State::more) return state_;
    if (received_.size() + data.size() > limits_.max_bytes)
        return fail("response larger than " + std::to_string(limits_.max_bytes) + " bytes");
    received_.append(data);
    return parse(false);
}

HttpResponseParser::State HttpResponseParser::finish() {
    if (state_ != State::more) return state_;
    return parse(true);
}

bool HttpResponseParser::parse_head(std::string_view head) {
    auto lines = split(head, '\n');  // `head` ends with CRLF: the last element is empty
    if (!lines.empty()) lines.pop_back();
    std::string_view status_line = lines.empty() ? "" : lines[0];
    if (!status_line.ends_with('\r')) return reject("malformed status line");
    status_line.remove_suffix(1);
    auto words = split(status_line, ' ');
    if (words.size() < 2 || !words[0].starts_with("HTTP/1.") || words[1].size() != 3)
        return reject("malformed status line");
    auto status = parse_uint(words[1]);
    if (!status || *status < 200 || *status > 599) return reject("unexpected status " + std::string(words[1]));
    response_.status = static_cast<int>(*status);
    for (size_t i = 1; i < lines.size(); ++i) {
        std::string_view line = lines[i];
        if (!line.ends_with('\r')) return reject("header line without CRLF");
        line.remove_suffix(1);
        size_t colon = line.find(':');
        if (colon == 0 || colon == std::string_view::npos) return reject("malformed header line");
        std::string_view name = line.substr(0, colon);
        for (char c : name)
            if (!is_token_char(c)) return reject("malformed header name");
        if (response_.headers.size() >= limits_.max_headers) return reject("too many header fields");
        response_.headers.emplace_back(std::string(name), std::string(trim(line.substr(colon + 1))));
    }
    return true;
}

std::optional<std::string> HttpResponseParser::dechunk(std::string_view data) {
    std::string body;
    while (true) {
        size_t end = data.find(kCrlf);
        if (end == std::string_view::npos) return std::nullopt;
        std::string_view size_line = data.substr(0, end);
        std::string_view size_text = trim(size_line.substr(0, size_line.find(';')));  // without extensions
        auto size = parse_hex(size_text);
        if (!size) {
            reject("malformed chunk size");
            return std::nullopt;
        }
        data.remove_prefix(end + kCrlf.size());
        if (*size == 0) break;
        if (data.size() < *size + kCrlf.size()) return std::nullopt;
        if (data.substr(*size, kCrlf.size()) != kCrlf) {
            reject("chunk without CRLF");
            return std::nullopt;
        }
        body.append(data.substr(0, *size));
        data.remove_prefix(*size + kCrlf.size());
    }
    // Trailer fields, ignored, up to the empty line.
    while (true) {
        size_t end = data.find(kCrlf);
        if (end == std::string_view::npos) return std::nullopt;
        data.remove_prefix(end + kCrlf.size());
        if (end == 0) return body;
    }
}

HttpResponseParser::State HttpResponseParser::parse(bool at_end) {
    if (body_start_ == 0) {
        size_t end = received_.find("\r\n\r\n");
        if (end == std::string::npos) {
            if (received_.size() > limits_.max_head) return fail("response header too long");
            return at_end ? fail("connection closed before the end of the response header") : State::more;
        }
        if (end > limits_.max_head) return fail("response header too long");
        if (!parse_head(std::string_view(received_).substr(0, end + kCrlf.size()))) return state_;
        body_start_ = end + 4;
        if (const std::string* coding = response_.header("Transfer-Encoding")) {
            if (!iequals(*coding, "chunked")) return fail("unsupported transfer coding " + *coding);
            chunked_ = true;
        } else if (const std::string* length = response_.header("Content-Length")) {
            content_length_ = parse_uint(*length);
            if (!content_length_) return fail("malformed Content-Length");
            if (*content_length_ > limits_.max_bytes) return fail("response body too large");
        }
    }
    std::string_view body = std::string_view(received_).substr(body_start_);
    if (response_.status == 204 || response_.status == 304) {
        return state_ = State::done;
    } else if (chunked_) {
        auto decoded = dechunk(body);
        if (state_ == State::failed) return state_;
        if (!decoded) return at_end ? fail("connection closed inside a chunked body") : State::more;
        response_.body = std::move(*decoded);
    } else if (content_length_) {
        if (body.size() < *content_length_) return at_end ? fail("connection closed inside the body") : State::more;
        response_.body = std::string(body.substr(0, *content_length_));
    } else {
        if (!at_end) return State::more;
        response_.body = std::string(body);
    }
    return state_ = State::done;
}

}  // namespace pochta
