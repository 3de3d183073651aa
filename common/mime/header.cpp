#include "common/mime/header.hpp"

#include "common/util/strings.hpp"

namespace pochta::mime {

namespace {

// Length of the line starting at pos, line end included (up to `end`).
uint64_t line_length(std::string_view raw, uint64_t pos, uint64_t end) {
    size_t lf = raw.substr(0, end).find('\n', pos);
    return lf == std::string_view::npos ? end - pos : lf + 1 - pos;
}

bool is_blank_line(std::string_view line) {
    return line == "\n" || line == "\r\n";
}

}  // namespace

uint64_t find_header_end(std::string_view raw, uint64_t start, uint64_t end) {
    if (end > raw.size()) end = raw.size();
    uint64_t pos = start;
    while (pos < end) {
        uint64_t len = line_length(raw, pos, end);
        std::string_view line = raw.substr(pos, len);
        pos += len;
        if (is_blank_line(line)) return pos;
    }
    return end;
}

// Copies runs between line ends in one go: every header field of every
// message passes through here, most of them a single line.
std::string unfold(std::string_view value) {
    std::string out;
    out.reserve(value.size());
    size_t pos = 0;
    while (pos < value.size()) {
        const size_t lf = value.find('\n', pos);
        if (lf == std::string_view::npos) {
            out.append(value.substr(pos));
            break;
        }
        const size_t run_end = lf > pos && value[lf - 1] == '\r' ? lf - 1 : lf;
        out.append(value.substr(pos, run_end - pos));
        pos = lf + 1;
    }
    return out;
}

void for_each_field(std::string_view header, uint32_t max_value,
                    const std::function<bool(std::string_view, std::string)>& field) {
    size_t pos = 0;
    while (pos < header.size()) {
        // A field is its first line plus every following line that starts with WSP.
        size_t start = pos;
        size_t stop = start;
        do {
            size_t lf = header.find('\n', stop);
            stop = lf == std::string_view::npos ? header.size() : lf + 1;
        } while (stop < header.size() && (header[stop] == ' ' || header[stop] == '\t'));
        pos = stop;

        std::string_view text = header.substr(start, stop - start);
        if (is_blank_line(text)) break;
        size_t colon = text.find(':');
        size_t first_lf = text.find('\n');
        if (colon == std::string_view::npos || (first_lf != std::string_view::npos && colon > first_lf))
            continue;  // not a field (no colon on its first line)
        std::string_view name = trim(text.substr(0, colon));
        if (name.empty() || text.front() == ' ' || text.front() == '\t') continue;
        std::string_view raw_value = text.substr(colon + 1);
        if (raw_value.size() > max_value) raw_value = raw_value.substr(0, max_value);
        // Trimming first is the same (trim takes CR and LF too) and spares a copy.
        if (!field(name, unfold(trim(raw_value)))) return;
    }
}

std::string folded_field(std::string_view name, std::string_view value) {
    std::string out(name);
    out += ":";
    size_t line = out.size();
    for (auto word : split(value, ' ')) {
        if (word.empty()) continue;
        if (line + 1 + word.size() > 78 && line > name.size() + 1) {
            out += "\r\n";
            line = 0;
        }
        out += " ";
        out += word;
        line += 1 + word.size();
    }
    return out + "\r\n";
}

}  // namespace pochta::mime
