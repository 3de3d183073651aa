// What delivery remembers per user for Sieve (README.md, "Sieve at
// delivery"): the marks of the duplicate test (RFC 7352) and of notices
// sent once (a failing script), by key, each until it expires.
#pragma once

#include <cstdint>
#include <string>

namespace pochta::store {

struct SieveMark {
    std::string key;      // e.g. the duplicate handle and message id, hashed by the caller
    int64_t expires = 0;  // unix seconds
    // An unexpired mark gets the new expiry too (duplicate :last); without
    // it the first sighting's period stands.
    bool refresh = false;
};

}  // namespace pochta::store
