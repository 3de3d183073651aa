#include "mailauth/dmarc_record.hpp"

#include <vector>

#include "common/util/strings.hpp"

namespace pochta::mailauth {
namespace {

// RFC 7489 6.4: whitespace around tags, '=' and ';' is allowed (WSP, plus
// the folding a TXT record should not have but some carry).
std::string_view trim_wsp(std::string_view s) {
    auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
    while (!s.empty() && blank(s.front())) s.remove_prefix(1);
    while (!s.empty() && blank(s.back())) s.remove_suffix(1);
    return s;
}

std::optional<DmarcPolicy> policy_of(std::string_view value) {
    if (iequals(value, "none")) return DmarcPolicy::none;
    if (iequals(value, "quarantine")) return DmarcPolicy::quarantine;
    if (iequals(value, "reject")) return DmarcPolicy::reject;
    return std::nullopt;
}

std::optional<Alignment> alignment_of(std::string_view value) {
    if (iequals(value, "r")) return Alignment::relaxed;
    if (iequals(value, "s")) return Alignment::strict;
    return std::nullopt;
}

std::optional<unsigned> percent_of(std::string_view value) {
    auto number = parse_uint(value);
    if (!number || *number > 100) return std::nullopt;
    return static_cast<unsigned>(*number);
}

// rua is a comma-separated list of URIs; only mailto: ones are of use
// (RFC 7489 6.2), and one is enough to keep a record whose p is broken.
bool has_mailto_uri(std::string_view value) {
    for (std::string_view uri : split(value, ','))
        if (uri = trim_wsp(uri); istarts_with(uri, "mailto:") && uri.size() > 7) return true;
    return false;
}

}  // namespace

std::string_view dmarc_policy_name(DmarcPolicy policy) {
    switch (policy) {
        case DmarcPolicy::quarantine: return "quarantine";
        case DmarcPolicy::reject: return "reject";
        case DmarcPolicy::none: break;
    }
    return "none";
}

DmarcRecordParse parse_dmarc_record(std::string_view text) {
    DmarcRecordParse out;
    {
        std::string_view first = trim_wsp(text.substr(0, text.find(';')));
        size_t eq = first.find('=');
        // "v" is case-insensitive, "DMARC1" is not (RFC 7489 6.4 ABNF).
        if (eq == std::string_view::npos || !iequals(trim_wsp(first.substr(0, eq)), "v") ||
            trim_wsp(first.substr(eq + 1)) != "DMARC1")
            return out;
    }
    out.status = DmarcRecordStatus::invalid;
    if (text.size() > max_dmarc_record) {
        out.error = "record too long";
        return out;
    }
    std::vector<std::string_view> tags = split(text, ';');
    if (tags.size() > max_dmarc_tags + 1) {
        out.error = "too many tags";
        return out;
    }
    std::optional<DmarcPolicy> policy;
    bool p_present = false, sp_broken = false, reports_to_mailto = false;
    DmarcRecord& record = out.record;
    for (size_t i = 1; i < tags.size(); i++) {
        std::string_view tag = trim_wsp(tags[i]);
        size_t eq = tag.find('=');
        if (eq == std::string_view::npos) continue;  // "" after a final ';', or junk: ignored
        std::string_view name = trim_wsp(tag.substr(0, eq)), value = trim_wsp(tag.substr(eq + 1));
        if (iequals(name, "p")) {
            p_present = true;
            policy = policy_of(value);
        } else if (iequals(name, "sp")) {
            record.subdomain_policy = policy_of(value);
            sp_broken = !record.subdomain_policy;
        } else if (iequals(name, "np")) {
            record.nonexistent_policy = policy_of(value);
        } else if (iequals(name, "pct")) {
            record.percent = percent_of(value).value_or(100);
        } else if (iequals(name, "adkim")) {
            record.dkim_alignment = alignment_of(value).value_or(Alignment::relaxed);
        } else if (iequals(name, "aspf")) {
            record.spf_alignment = alignment_of(value).value_or(Alignment::relaxed);
        } else if (iequals(name, "rua")) {
            reports_to_mailto = has_mailto_uri(value);
        }
    }
    if ((!policy || sp_broken) && !reports_to_mailto) {
        out.error = !p_present ? "no p tag" : !policy ? "invalid p tag" : "invalid sp tag";
        return out;
    }
    if (!policy || sp_broken) {  // RFC 7489 6.6.3 step 6: as if the record said p=none
        record.subdomain_policy.reset();
        record.nonexistent_policy.reset();
        record.percent = 100;
        policy = DmarcPolicy::none;
    }
    record.policy = *policy;
    out.status = DmarcRecordStatus::valid;
    return out;
}

}  // namespace pochta::mailauth
