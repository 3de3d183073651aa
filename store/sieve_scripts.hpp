// Users' Sieve scripts as the store keeps them (README.md, "ManageSieve"):
// by name per user, at most one of them active, within the quotas of
// [sieve]. The store keeps the source; whoever stores a script compiled it
// first, and delivery compiles the active one again.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pochta::store {

struct SieveScriptInfo {
    std::string name;
    bool active = false;
    uint64_t size = 0;  // octets of the source
};

// The [sieve] quotas, per user.
struct SieveQuota {
    size_t max_scripts = 20;
    size_t max_script_size = 65536;
};

// Why a script cannot be stored (RFC 5804 QUOTA/MAXSCRIPTS, QUOTA/MAXSIZE).
enum class SieveSpace { ok, too_many_scripts, too_large };

// Whether `name` with `size` octets fits beside `scripts` (replacing a
// script of the same name takes no new slot).
SieveSpace sieve_space(const std::vector<SieveScriptInfo>& scripts, std::string_view name, uint64_t size,
                       const SieveQuota& quota);

// RFC 5804 section 1.6: a name is non-empty UTF-8 without control
// characters (U+0000-001F, U+007F-009F) or line and paragraph separators
// (U+2028, U+2029); pochta also bounds it to max_sieve_name octets.
constexpr size_t max_sieve_name = 255;
bool valid_sieve_script_name(std::string_view name);

// The user's active script, for delivery.
struct ActiveSieveScript {
    std::string name;
    std::string source;
};

}  // namespace pochta::store
