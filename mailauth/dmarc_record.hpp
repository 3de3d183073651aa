// DMARC policy records (RFC 7489 6.3, with RFC 9091's np): the TXT record
// at _dmarc.DOMAIN, parsed into what policy evaluation needs. Bounded: the
// record is untrusted DNS data (README.md, "DMARC").
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace pochta::mailauth {

enum class DmarcPolicy { none, quarantine, reject };
enum class Alignment { relaxed, strict };

// "none", "quarantine", "reject".
std::string_view dmarc_policy_name(DmarcPolicy policy);

struct DmarcRecord {
    DmarcPolicy policy = DmarcPolicy::none;                   // p
    std::optional<DmarcPolicy> subdomain_policy;              // sp; p applies when absent
    std::optional<DmarcPolicy> nonexistent_policy;            // np (RFC 9091); sp or p when absent
    unsigned percent = 100;                                   // pct, 0..100
    Alignment dkim_alignment = Alignment::relaxed;            // adkim
    Alignment spf_alignment = Alignment::relaxed;             // aspf
};

enum class DmarcRecordStatus {
    not_dmarc,   // does not start with v=DMARC1: not a DMARC record at all (ignored)
    invalid,     // a DMARC record without a usable policy: permerror
    valid,
};

struct DmarcRecordParse {
    DmarcRecordStatus status = DmarcRecordStatus::not_dmarc;
    DmarcRecord record;   // when valid
    std::string error;    // when invalid: why, for the Authentication-Results comment
};

// Longest record parsed (longer ones are invalid) and most tags looked at.
constexpr size_t max_dmarc_record = 4096;
constexpr size_t max_dmarc_tags = 64;

// Tags are "name=value" separated by ';'; "v=DMARC1" must come first.
// Names and policy values are case-insensitive; unknown tags are ignored,
// and so is a known optional tag with a value outside its grammar (its
// default applies). A missing or invalid p, or an invalid sp, makes the
// record p=none (without sp, np or pct) when it has a rua tag with a
// mailto: URI (RFC 7489 6.6.3 step 6), else the record is invalid.
DmarcRecordParse parse_dmarc_record(std::string_view text);

}  // namespace pochta::mailauth
