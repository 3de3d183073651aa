// What a bounce to a member's VERP address says (README.md, "Mailing
// lists", "Bounces"): read as an RFC 3464 delivery status notification.
// Only a permanent failure (status 5.x.x) counts against the member; a
// refusal caused by the author's DMARC policy (status 5.7.x naming DMARC,
// or a report that names DMARC) is the author's domain's doing, not the
// member's, and never counts; delays and temporary failures never count.
#pragma once

#include <string>
#include <string_view>

namespace pochta::lists {

enum class BounceKind {
    hard,      // a permanent failure for the member's address
    soft,      // delayed, temporary, or delivered after all
    dmarc,     // refused because of the author domain's DMARC policy
    unknown,   // no delivery status found: not a DSN
};

struct BounceReport {
    BounceKind kind = BounceKind::unknown;
    std::string status;       // "5.1.1"; "" when none
};

// Bounded: only the first 256 KiB of the message are parsed, and of them
// only the delivery-status part and the human-readable part, each cut at
// 64 KiB.
BounceReport read_bounce(std::string_view message);

std::string_view bounce_kind_name(BounceKind kind);

}  // namespace pochta::lists
