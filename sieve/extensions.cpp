#include "sieve/extensions.hpp"

#include <algorithm>

namespace pochta::sieve {

const std::vector<std::string_view>& supported_extensions() {
    static const std::vector<std::string_view> names{
        "fileinto", "reject", "ereject", "envelope", "encoded-character", "copy", "body", "variables",
        "vacation", "vacation-seconds", "relational", "subaddress", "imap4flags", "date", "index",
        "editheader", "mailbox", "include", "duplicate", "environment", "ihave",
        "comparator-i;ascii-numeric", "comparator-i;octet", "comparator-i;ascii-casemap", "spamtest",
        "spamtestplus", "virustest", "regex"};
    return names;
}

bool is_supported_extension(std::string_view name) {
    const auto& names = supported_extensions();
    return std::find(names.begin(), names.end(), name) != names.end();
}

std::string capability_string() {
    std::string result;
    for (std::string_view name : supported_extensions()) {
        if (!result.empty()) result += ' ';
        result += name;
    }
    return result;
}

}  // namespace pochta::sieve
