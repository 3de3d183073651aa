#include "common/config/quota_rule.hpp"

#include <limits>
#include <string>

#include "common/util/strings.hpp"

namespace pochta {

std::optional<uint64_t> parse_quota_size(std::string_view text) {
    size_t digits = 0;
    while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
    if (digits == 0 || digits > 15 || text.size() > digits + 1) return std::nullopt;
    uint64_t value = std::stoull(std::string(text.substr(0, digits)));
    int shift = 0;
    if (text.size() > digits) {
        switch (text[digits]) {
            case 'B': case 'b': shift = 0; break;
            case 'k': case 'K': shift = 10; break;
            case 'M': case 'm': shift = 20; break;
            case 'G': case 'g': shift = 30; break;
            case 'T': case 't': shift = 40; break;
            default: return std::nullopt;
        }
    }
    if (value > (std::numeric_limits<uint64_t>::max() >> shift)) return std::nullopt;
    return value << shift;
}

bool parse_quota_field(std::string_view field, UserQuota& quota, std::string& error) {
    size_t eq = field.find('=');
    std::string_view name = field.substr(0, eq);
    if (!name.starts_with("userdb_quota_rule")) return true;
    std::string_view rule = eq == std::string_view::npos ? std::string_view() : field.substr(eq + 1);
    if (!rule.starts_with("*:")) {
        error = "a quota rule must be \"*:storage=SIZE\" or \"*:messages=N\"";
        return false;
    }
    rule.remove_prefix(2);
    while (!rule.empty()) {
        std::string_view part = rule.substr(0, rule.find(':'));
        rule.remove_prefix(std::min(rule.size(), part.size() + 1));
        size_t at = part.find('=');
        std::string_view key = part.substr(0, at);
        std::optional<uint64_t> value =
            at == std::string_view::npos ? std::nullopt : parse_quota_size(part.substr(at + 1));
        if (key == "storage" && value) quota.bytes = value;
        else if (key == "messages" && value) quota.messages = value;
        else {
            error = "cannot read quota rule part \"" + std::string(part) + "\"";
            return false;
        }
    }
    return true;
}

}  // namespace pochta
