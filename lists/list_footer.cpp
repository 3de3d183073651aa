#include "lists/list_footer.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "common/mime/header.hpp"
#include "common/mime/params.hpp"
#include "common/util/strings.hpp"
#include "lists/list_message.hpp"

namespace pochta::lists {

namespace {

constexpr uint32_t max_footer_field = 16 * 1024;
constexpr uint32_t max_footer_params = 16;

struct BodyType {
    std::string type = "text/plain";   // lowercased
    std::string charset;               // lowercased; "" when none
    std::string boundary;
    std::string encoding;              // lowercased Content-Transfer-Encoding; "" when none
};

BodyType body_type(std::string_view header) {
    BodyType out;
    mime::for_each_field(header, max_footer_field, [&](std::string_view name, std::string value) {
        if (iequals(name, "Content-Type")) {
            auto parsed = mime::parse_structured(value, max_footer_params);
            out.type = to_lower(parsed.value);
            for (const auto& p : parsed.params) {
                if (p.name == "charset") out.charset = to_lower(p.value);
                if (p.name == "boundary") out.boundary = p.value;
            }
        } else if (iequals(name, "Content-Transfer-Encoding")) {
            out.encoding = to_lower(mime::strip_comments(value));
        }
        return true;
    });
    return out;
}

bool is_ascii_text(std::string_view text) {
    return std::all_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

// The footer's lines with CR LF ends, the last one included.
std::string footer_lines(std::string_view footer) {
    std::string out;
    for (char c : footer) {
        if (c == '\r') continue;
        if (c == '\n') out += '\r';
        out += c;
    }
    if (!out.ends_with("\r\n")) out += "\r\n";
    return out;
}

// Appending keeps the part valid only for unencoded text whose charset
// holds the footer: ASCII goes in any ASCII-based charset, other text only
// in UTF-8 sent as 8bit or binary.
bool appendable(const BodyType& t, std::string_view footer) {
    if (t.type != "text/plain") return false;
    const bool identity = t.encoding.empty() || t.encoding == "7bit" || t.encoding == "8bit" || t.encoding == "binary";
    if (!identity) return false;
    if (is_ascii_text(footer)) return true;
    return (t.charset == "utf-8" || t.charset == "utf8") && (t.encoding == "8bit" || t.encoding == "binary");
}

std::string footer_part(std::string_view boundary, std::string_view footer) {
    return fmt::format("--{}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: {}\r\n"
                       "Content-Disposition: inline\r\n\r\n{}",
                       boundary, is_ascii_text(footer) ? "7bit" : "8bit", footer_lines(footer));
}

// Where the multipart's close delimiter line starts (RFC 2046 5.1.1:
// "--BOUNDARY--" at the start of a line), npos when it has none.
size_t close_delimiter(std::string_view body, std::string_view boundary) {
    const std::string close = fmt::format("--{}--", boundary);
    for (size_t pos = body.find(close); pos != std::string_view::npos; pos = body.find(close, pos + 1))
        if (pos == 0 || body[pos - 1] == '\n') return pos;
    return std::string_view::npos;
}

bool is_content_field(std::string_view name) { return istarts_with(name, "Content-"); }

// The post as the first part of a new multipart/mixed, the footer second.
std::string wrapped_with_footer(std::string_view header, std::string_view body, std::string_view footer) {
    const std::string boundary = "=_footer_" + random_hex(8);
    std::string out;
    std::string inner;
    bool has_version = false;
    for (const auto& field : raw_fields(header)) {
        if (is_content_field(field.name)) inner += field.text;
        else out += field.text;
        has_version = has_version || iequals(field.name, "MIME-Version");
    }
    if (!out.empty() && !out.ends_with("\n")) out += "\r\n";
    if (!inner.empty() && !inner.ends_with("\n")) inner += "\r\n";
    if (!has_version) out += "MIME-Version: 1.0\r\n";
    out += fmt::format("Content-Type: multipart/mixed; boundary=\"{}\"\r\n\r\n", boundary);
    out += fmt::format("--{}\r\n{}\r\n", boundary, inner);
    out += body;
    if (!body.empty() && !body.ends_with("\n")) out += "\r\n";
    out += "\r\n" + footer_part(boundary, footer);
    return out + fmt::format("\r\n--{}--\r\n", boundary);
}

}  // namespace

std::string with_footer(std::string_view message, std::string_view footer) {
    if (footer.empty()) return std::string(message);
    const uint64_t end = mime::find_header_end(message, 0, message.size());
    const std::string_view header = message.substr(0, end);
    const std::string_view body = message.substr(end);
    const BodyType type = body_type(header);
    if (appendable(type, footer)) {
        std::string out(message);
        if (!body.empty() && !body.ends_with("\n")) out += "\r\n";
        return out + footer_lines(footer);
    }
    if (type.type == "multipart/mixed" && !type.boundary.empty()) {
        const size_t close = close_delimiter(body, type.boundary);
        if (close != std::string_view::npos) {
            std::string out(message.substr(0, end + close));
            out += footer_part(type.boundary, footer);
            out += "\r\n";
            out += body.substr(close);
            return out;
        }
    }
    return wrapped_with_footer(header, body, footer);
}

}  // namespace pochta::lists
