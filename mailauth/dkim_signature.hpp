// The DKIM-Signature header field (RFC 6376 3.5): its tags checked and
// turned into values, as a verifier needs them (RFC 6376 6.1.1).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mailauth/dkim_keys.hpp"

namespace pochta::mailauth {

// Signatures over more header fields than this are refused (a bound on the
// work one signature may ask for).
constexpr size_t max_dkim_signed_fields = 256;

enum class DkimCanon { simple, relaxed };

struct DkimSignature {
    DkimKeyType key_type = DkimKeyType::rsa;   // a= is rsa-sha256 or ed25519-sha256: SHA-256 always
    std::string algorithm;                     // a= as written, lowercase
    std::string signature;                     // b=, decoded
    std::string b_text;                        // b= as base64 without whitespace (header.b of RFC 6008)
    std::string body_hash;                     // bh=, decoded
    DkimCanon header_canon = DkimCanon::simple;
    DkimCanon body_canon = DkimCanon::simple;
    std::string domain;                        // d=, lowercase
    std::string selector;                      // s=
    std::string identity;                      // i= (default "@" + d)
    std::vector<std::string> signed_fields;    // h=, lowercase, in order
    std::optional<uint64_t> body_length;       // l=
    std::optional<int64_t> timestamp;          // t=
    std::optional<int64_t> expiration;         // x=
};

struct DkimSignatureParse {
    std::optional<DkimSignature> signature;
    std::string error;                         // why the field is unusable (a permerror)
    // What could be read even from a broken field, for the verdict.
    std::string domain, selector, algorithm, b_text;
};

// `value` is the field's value as received (after the colon, folds kept).
// `now` (Unix seconds) judges x= (expired signatures are errors).
DkimSignatureParse parse_dkim_signature(std::string_view value, int64_t now);

// The canonicalisation names, "simple" / "relaxed".
std::string_view dkim_canon_name(DkimCanon canon);

}  // namespace pochta::mailauth
