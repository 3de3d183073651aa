#include "managesieve/response.hpp"

#include "managesieve/command.hpp"

namespace pochta::managesieve {

std::string string_value(std::string_view s) {
    if (s.size() <= max_quoted && s.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos) {
        std::string out = "\"";
        for (char c : s) {
            if (c == '"' || c == '\\') out += '\\';
            out += c;
        }
        return out + '"';
    }
    return "{" + std::to_string(s.size()) + "}\r\n" + std::string(s);
}

std::string response(std::string_view status, std::string_view code, std::string_view text) {
    std::string out(status);
    if (!code.empty()) out.append(" (").append(code).append(")");
    if (!text.empty()) out.append(" ").append(string_value(text));
    return out + "\r\n";
}

}  // namespace pochta::managesieve
