#include "sieve/variables.hpp"

#include <algorithm>

#include "common/util/strings.hpp"
#include "sieve/regex.hpp"

namespace pochta::sieve {

namespace {

bool identifier_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool identifier_char(char c) { return identifier_start(c) || (c >= '0' && c <= '9'); }

bool all_digits(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Characters, not bytes: a UTF-8 continuation byte does not count.
size_t utf8_length(std::string_view s) {
    return static_cast<size_t>(std::count_if(s.begin(), s.end(), [](char c) {
        return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    }));
}

char upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }
char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

}  // namespace

bool valid_variable_name(std::string_view name) {
    for (std::string_view part : split(name, '.')) {
        if (part.empty() || !identifier_start(part[0])) return false;
        if (!std::all_of(part.begin(), part.end(), identifier_char)) return false;
    }
    return !name.empty();
}

bool Variables::is_global(std::string_view name, std::string_view& global_name) const {
    if (name.size() > 7 && iequals(name.substr(0, 7), "global.")) {
        global_name = name.substr(7);
        return true;
    }
    global_name = name;
    return std::find(declared_global_.begin(), declared_global_.end(), name) != declared_global_.end();
}

void Variables::set(const std::string& name, std::string value) {
    std::string_view global_name;
    if (is_global(name, global_name)) {
        globals_[std::string(global_name)] = std::move(value);
        return;
    }
    auto it = local_.find(name);
    if (it != local_.end()) {
        bytes_ -= it->second.size();
        bytes_ += value.size();
        it->second = std::move(value);
    } else {
        bytes_ += name.size() + value.size();
        local_.emplace(name, std::move(value));
    }
}

std::string_view Variables::get(std::string_view name) const {
    std::string_view global_name;
    if (is_global(name, global_name)) {
        auto it = globals_.find(global_name);
        return it == globals_.end() ? std::string_view() : std::string_view(it->second);
    }
    auto it = local_.find(name);
    return it == local_.end() ? std::string_view() : std::string_view(it->second);
}

std::optional<std::string> Variables::expand(std::string_view text, size_t max) const {
    std::string out;
    size_t i = 0;
    while (i < text.size()) {
        size_t open = text.find("${", i);
        if (open == std::string_view::npos) break;
        out.append(text.substr(i, open - i));
        size_t close = text.find('}', open + 2);
        std::string_view name =
            close == std::string_view::npos ? std::string_view() : text.substr(open + 2, close - open - 2);
        if (all_digits(name)) {
            size_t index = name.size() > 2 ? match_.size() : std::stoul(std::string(name));
            if (index < match_.size()) out.append(match_[index]);
            i = close + 1;
            if (out.size() > max) return std::nullopt;
        } else if (valid_variable_name(name)) {
            out.append(get(to_lower(name)));
            i = close + 1;
            if (out.size() > max) return std::nullopt;
        } else {
            out.append("${");
            i = open + 2;
        }
    }
    out.append(text.substr(i));
    if (out.size() > max) return std::nullopt;
    return out;
}

std::string apply_modifiers(const Node& set, std::string value) {
    if (set.tag("lower")) std::transform(value.begin(), value.end(), value.begin(), lower);
    if (set.tag("upper")) std::transform(value.begin(), value.end(), value.begin(), upper);
    if (set.tag("lowerfirst") && !value.empty()) value[0] = lower(value[0]);
    if (set.tag("upperfirst") && !value.empty()) value[0] = upper(value[0]);
    if (set.tag("quotewildcard")) {
        std::string quoted;
        for (char c : value) {
            if (c == '*' || c == '?' || c == '\\') quoted += '\\';
            quoted += c;
        }
        value = std::move(quoted);
    }
    if (set.tag("quoteregex")) value = quote_regex(value);
    if (set.tag("length")) value = std::to_string(utf8_length(value));
    return value;
}

}  // namespace pochta::sieve
