#include "common/mime/transfer_encoding.hpp"

#include "common/util/strings.hpp"

namespace pochta::mime {

namespace {

int base64_value(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

bool is_wsp(char c) {
    return c == ' ' || c == '\t';
}

// Decodes one line (without its line end); returns true when it ends with a
// soft line break.
bool decode_qp_line(std::string_view line, std::string& out) {
    size_t stop = line.size();
    while (stop > 0 && (is_wsp(line[stop - 1]) || line[stop - 1] == '\r')) --stop;
    line = line.substr(0, stop);
    bool soft = !line.empty() && line.back() == '=';
    if (soft) line.remove_suffix(1);
    for (size_t i = 0; i < line.size(); ++i) {
        if (line[i] == '=') {
            int hi = i + 1 < line.size() ? hex_digit_value(line[i + 1]) : -1;
            int lo = i + 2 < line.size() ? hex_digit_value(line[i + 2]) : -1;
            if (hi >= 0 && lo >= 0) {
                out.push_back(static_cast<char>(hi * 16 + lo));
                i += 2;
                continue;
            }
        }
        out.push_back(line[i]);
    }
    return soft;
}

}  // namespace

std::string decode_quoted_printable(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    size_t pos = 0;
    while (pos < text.size()) {
        size_t lf = text.find('\n', pos);
        size_t line_end = lf == std::string_view::npos ? text.size() : lf;
        std::string_view line = text.substr(pos, line_end - pos);
        bool soft = decode_qp_line(line, out);
        if (lf != std::string_view::npos && !soft) {
            // Keep the line end as written (CRLF or LF).
            if (line_end > pos && text[line_end - 1] == '\r') out.push_back('\r');
            out.push_back('\n');
        }
        pos = lf == std::string_view::npos ? text.size() : lf + 1;
    }
    return out;
}

std::string decode_base64(std::string_view text) {
    std::string out;
    out.reserve(text.size() / 4 * 3 + 3);
    uint32_t quantum = 0;
    int bits = 0;
    for (char c : text) {
        if (c == '=') {
            // Padding ends a quantum; a following chunk starts afresh.
            quantum = 0;
            bits = 0;
            continue;
        }
        int v = base64_value(c);
        if (v < 0) continue;
        quantum = (quantum << 6) | static_cast<uint32_t>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<char>((quantum >> bits) & 0xFF));
        }
    }
    return out;
}

std::string decode_transfer_encoding(std::string_view body, std::string_view encoding) {
    if (iequals(encoding, "base64")) return decode_base64(body);
    if (iequals(encoding, "quoted-printable")) return decode_quoted_printable(body);
    return std::string(body);
}

}  // namespace pochta::mime
