// The Sender Rewriting Scheme (README.md, "Forwarding with SRS"): the
// envelope sender of a forwarded copy becomes an address at our SRS domain
// that only we can turn back into the original, so SPF passes at the
// destination and bounces still find the original sender.
//
// The addresses have the form libsrs2, postsrsd and Mail::SRS use:
//   SRS0=HHHH=TT=orig-domain=orig-local@srs-domain
//   SRS1=HHHH=first-forwarder==HHHH=TT=orig-domain=orig-local@srs-domain
// HHHH: the first 4 characters of base64(HMAC-SHA1(secret, lowercased
// fields)), compared case-insensitively; TT: the day number mod 1024 in
// base32. SRS1 wraps an SRS0 address another forwarder made, so the bounce
// goes back through that forwarder (which alone can check its hash).
//
// Pure functions of their inputs; every input is bounded (max_srs_input).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace pochta::mailauth {

// Longer inputs are refused unread (an address is at most 254 octets).
inline constexpr size_t max_srs_input = 254;

// The day number of a unix time (UTC days since 1970), as SRS counts time.
int64_t srs_day(int64_t unix_time);

// The envelope sender for a copy forwarded from `sender` (local@domain, not
// the null sender) with `our_domain` as the SRS domain and `secret` as the
// key. An SRS0 or SRS1 address of another forwarder becomes SRS1; any
// other address SRS0. "" when `sender` is not local@domain or the result's
// local part would exceed 64 octets (RFC 5321 4.5.3.1.1).
std::string srs_forward(std::string_view sender, std::string_view our_domain, std::string_view secret,
                        int64_t unix_time);

enum class SrsError {
    none,
    not_srs,    // the local part does not start with SRS0 or SRS1
    malformed,  // starts like one but its fields are not
    bad_hash,   // no secret made this hash: forged or damaged
    expired,    // the timestamp is older than the maximum age (or in the future)
};

std::string_view srs_error_text(SrsError error);

struct SrsReversal {
    SrsError error = SrsError::none;
    std::string address;  // where the mail goes back to, when error == none
};

// Reverses the local part of an address at our SRS domain: SRS0 gives the
// original sender, SRS1 the SRS0 address of the first forwarder. Every
// secret is tried (the first signs; older ones still verify during a
// change), and an SRS0 timestamp may be at most `max_age_days` old.
SrsReversal srs_reverse(std::string_view local_part, const std::vector<std::string>& secrets, int64_t unix_time,
                        unsigned max_age_days);

// True when `local_part` starts with SRS0 or SRS1 and a separator (= + -).
bool is_srs_local_part(std::string_view local_part);

}  // namespace pochta::mailauth
