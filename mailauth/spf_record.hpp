// SPF records (RFC 7208 sections 4.5, 4.6, 5 and 6; README.md "SPF"): which
// TXT record is the domain's SPF record, and its terms. Bounded: a record
// longer than max_spf_record_size or with more than max_spf_terms terms is
// refused like a syntax error (permerror).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mailauth/spf_ip.hpp"

namespace pochta::mailauth {

constexpr size_t max_spf_record_size = 4096;
constexpr size_t max_spf_terms = 256;

enum class SpfQualifier { pass, fail, softfail, neutral };
enum class SpfMechanismKind { all, include, a, mx, ptr, ip4, ip6, exists };

struct SpfMechanism {
    SpfQualifier qualifier = SpfQualifier::pass;
    SpfMechanismKind kind = SpfMechanismKind::all;
    std::string domain_spec;   // a macro string; "" = the current domain (a, mx, ptr)
    IpAddress network;         // ip4, ip6
    unsigned prefix4 = 32;     // ip4, a, mx
    unsigned prefix6 = 128;    // ip6, a, mx
};

struct SpfRecord {
    std::vector<SpfMechanism> mechanisms;   // in the record's order
    std::optional<std::string> redirect;    // domain-specs
    std::optional<std::string> explanation;
};

struct SpfParse {
    std::optional<SpfRecord> record;
    std::string error;   // why not, when record is empty
};

// "v=spf1" alone or followed by a space, in any case (RFC 7208 section 4.5).
bool is_spf_record(std::string_view txt);

struct SpfSelection {
    enum class Kind { none, one, several } kind = Kind::none;
    std::string record;
};
// Among a name's TXT records, the SPF one: none, exactly one, or several
// (which is a permerror).
SpfSelection select_spf_record(const std::vector<std::string>& txt_records);

SpfParse parse_spf_record(std::string_view text);

}  // namespace pochta::mailauth
