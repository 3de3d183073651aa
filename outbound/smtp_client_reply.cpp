#include "outbound/smtp_client_reply.hpp"

namespace pochta::outbound {
namespace {

bool digit(char c) { return c >= '0' && c <= '9'; }

// Reply text ends up in logs and bounce messages: nothing that could break
// a log line or a header out of it.
std::string printable(std::string_view text) {
    std::string out(text);
    for (auto& c : out) {
        auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7f) c = '?';
    }
    return out;
}

// Up to three digits, at least one.
size_t digits_at(std::string_view s, size_t pos) {
    size_t n = 0;
    while (pos + n < s.size() && n < 4 && digit(s[pos + n])) n++;
    return n <= 3 ? n : 0;
}

}  // namespace

std::string Reply::text() const {
    std::string out = std::to_string(code);
    for (const auto& line : lines) {
        if (!line.empty()) out += " " + line;
    }
    return out;
}

std::string Reply::enhanced() const { return lines.empty() ? std::string() : parse_enhanced_status(lines.front()); }

std::string parse_enhanced_status(std::string_view text) {
    if (text.size() < 5 || (text[0] != '2' && text[0] != '4' && text[0] != '5') || text[1] != '.') return {};
    size_t subject = digits_at(text, 2);
    if (subject == 0 || 2 + subject >= text.size() || text[2 + subject] != '.') return {};
    size_t detail_pos = 3 + subject;
    size_t detail = digits_at(text, detail_pos);
    if (detail == 0) return {};
    size_t end = detail_pos + detail;
    if (end < text.size() && text[end] != ' ') return {};
    return std::string(text.substr(0, end));
}

ReplyReader::Result ReplyReader::fail(std::string why) {
    error_ = std::move(why);
    return Result::error;
}

ReplyReader::Result ReplyReader::read(std::string_view input, size_t& consumed) {
    consumed = 0;
    for (;;) {
        std::string_view rest = input.substr(consumed);
        size_t lf = rest.find('\n');
        if (lf == std::string_view::npos) {
            if (rest.size() >= max_line_) return fail("reply line too long");
            return Result::incomplete;
        }
        if (lf + 1 > max_line_) return fail("reply line too long");
        std::string_view line = rest.substr(0, lf);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        consumed += lf + 1;
        Result r = add_line(line);
        if (r != Result::incomplete) return r;
    }
}

ReplyReader::Result ReplyReader::add_line(std::string_view line) {
    if (line.size() < 3 || !digit(line[0]) || !digit(line[1]) || !digit(line[2]) || line[0] < '2' || line[0] > '5')
        return fail("malformed reply line: " + printable(line.substr(0, 80)));
    int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
    char sep = line.size() > 3 ? line[3] : ' ';
    if (sep != ' ' && sep != '-') return fail("malformed reply line: " + printable(line.substr(0, 80)));
    if (!reply_.lines.empty() && code != reply_.code) return fail("reply code changed within a multi-line reply");
    if (reply_.lines.size() >= max_lines_) return fail("reply has too many lines");
    reply_.code = code;
    reply_.lines.push_back(printable(line.size() > 4 ? line.substr(4) : std::string_view()));
    return sep == '-' ? Result::incomplete : Result::complete;
}

}  // namespace pochta::outbound
