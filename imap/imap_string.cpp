#include "imap/imap_string.hpp"

#include <algorithm>

namespace pochta::imap {

namespace {

bool quotable(std::string_view value) {
    return std::all_of(value.begin(), value.end(), [](char c) {
        auto u = static_cast<unsigned char>(c);
        return u != 0 && u < 0x80 && c != '\r' && c != '\n';
    });
}

}  // namespace

void append_string(std::string& out, std::string_view value) {
    if (quotable(value)) {
        out.push_back('"');
        for (char c : value) {
            if (c == '"' || c == '\\') out.push_back('\\');
            out.push_back(c);
        }
        out.push_back('"');
        return;
    }
    size_t nul = static_cast<size_t>(std::count(value.begin(), value.end(), '\0'));
    out += '{' + std::to_string(value.size() - nul) + "}\r\n";
    for (char c : value)
        if (c != '\0') out.push_back(c);
}

void append_nstring(std::string& out, const std::optional<std::string>& value) {
    if (value) {
        append_string(out, *value);
    } else {
        out += "NIL";
    }
}

}  // namespace pochta::imap
