#include "mailauth/dkim_tags.hpp"

#include <fmt/format.h>

namespace pochta::mailauth {

namespace {

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// VALCHAR (RFC 6376 3.2) plus 8-bit bytes, which RFC 8616 lets into i=.
bool is_value_char(char c) {
    const auto u = static_cast<unsigned char>(c);
    return (u >= 0x21 && u <= 0x7e && c != ';') || u >= 0x80;
}

bool valid_name(std::string_view name) {
    if (name.empty() || !is_alpha(name.front())) return false;
    for (char c : name)
        if (!is_alpha(c) && !is_digit(c) && c != '_') return false;
    return true;
}

std::string_view trim_space(std::string_view s, size_t& skipped_front) {
    skipped_front = 0;
    while (!s.empty() && is_dkim_space(s.front())) {
        s.remove_prefix(1);
        skipped_front++;
    }
    while (!s.empty() && is_dkim_space(s.back())) s.remove_suffix(1);
    return s;
}

}  // namespace

bool is_dkim_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

const DkimTag* DkimTagList::find(std::string_view name) const {
    for (const auto& tag : tags)
        if (tag.name == name) return &tag;
    return nullptr;
}

std::string without_whitespace(std::string_view value) {
    std::string out;
    out.reserve(value.size());
    for (char c : value)
        if (!is_dkim_space(c)) out += c;
    return out;
}

DkimTagList parse_dkim_tag_list(std::string_view text) {
    DkimTagList list;
    if (text.size() > max_dkim_tag_list_bytes) {
        list.error = "tag list too long";
        return list;
    }
    size_t start = 0;
    while (start <= text.size()) {
        size_t end = text.find(';', start);
        if (end == std::string_view::npos) end = text.size();
        const std::string_view spec = text.substr(start, end - start);
        size_t skipped = 0;
        if (!trim_space(spec, skipped).empty()) {
            const size_t eq = spec.find('=');
            if (eq == std::string_view::npos) {
                list.error = fmt::format("tag without '=' at offset {}", start);
                break;
            }
            DkimTag tag;
            tag.name = trim_space(spec.substr(0, eq), skipped);
            tag.value_begin = start + eq + 1;
            tag.value_end = end;
            tag.value = trim_space(text.substr(tag.value_begin, end - tag.value_begin), skipped);
            if (!valid_name(tag.name)) {
                list.error = "bad tag name";
                break;
            }
            for (char c : tag.value)
                if (!is_value_char(c) && !is_dkim_space(c)) {
                    list.error = fmt::format("bad character in the value of {}=", tag.name);
                    break;
                }
            if (!list.error.empty()) break;
            if (list.find(tag.name)) {
                list.error = fmt::format("tag {}= appears twice", tag.name);
                break;
            }
            if (list.tags.size() == max_dkim_tags) {
                list.error = "too many tags";
                break;
            }
            list.tags.push_back(tag);
        }
        start = end + 1;
    }
    if (!list.error.empty()) list.tags.clear();
    return list;
}

}  // namespace pochta::mailauth
