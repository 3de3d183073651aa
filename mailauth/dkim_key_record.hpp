// DKIM key records, the TXT data at SELECTOR._domainkey.DOMAIN
// (RFC 6376 3.6.1, RFC 8463 for k=ed25519).
#pragma once

#include <string>
#include <string_view>

#include "mailauth/dkim_keys.hpp"

namespace pochta::mailauth {

struct DkimKeyRecord {
    DkimKeyType type = DkimKeyType::rsa;   // k=, rsa by default
    std::string public_key;                // p=, decoded; empty = the key is revoked
    bool testing = false;                  // t=y
    bool strict_identity = false;          // t=s: i= must be in d= itself, not a subdomain
};

struct DkimKeyRecordParse {
    DkimKeyRecord record;
    std::string error;                     // "" when usable (a revoked key is usable: its p= is empty)
};

// Checks v= (first, DKIM1), h= (must allow sha256), k= (rsa or ed25519),
// s= (email or *), p= (base64) and reads t=. Unknown tags are ignored.
DkimKeyRecordParse parse_dkim_key_record(std::string_view text);

}  // namespace pochta::mailauth
