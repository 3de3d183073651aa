// Quota sizes and rules as Dovecot writes them (README.md, "IMAP": QUOTA):
// "1G", "500M", "100k", "2048" (octets), and the users file's extra field
// `userdb_quota_rule=*:storage=1G` (also `*:messages=N`, both at once as
// `*:storage=1G:messages=N`, and `userdb_quota_rule2=...`). 0 is no limit.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace pochta {

struct UserQuota {
    std::optional<uint64_t> bytes;     // set when the rule names storage
    std::optional<uint64_t> messages;  // set when the rule names messages
};

// Octets for "<digits>[B|k|K|M|G|T]" (binary multiples); nullopt otherwise.
std::optional<uint64_t> parse_quota_size(std::string_view text);

// Reads one `userdb_quota_rule[N]=*:...` extra field into `quota`; false
// (with `error`) for a rule it cannot read. Fields of other names are not
// quota rules: true, nothing changes.
bool parse_quota_field(std::string_view field, UserQuota& quota, std::string& error);

}  // namespace pochta
