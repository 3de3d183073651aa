// Fuzzes the SPF record parser and macro expansion (mailauth/spf_record,
// spf_macro). The input is an SPF record. Beyond "no crash", checks the
// bounds and what the evaluation relies on: a parsed record keeps to the
// term limit, its CIDR lengths are in range, every domain-spec it holds is
// valid and expands (bounded, cut to 253 octets), and the text itself,
// taken as an explanation, expands within the bound or not at all.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "mailauth/spf_macro.hpp"
#include "mailauth/spf_record.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace pochta::mailauth;

namespace {

SpfMacroValues sample_values() {
    SpfMacroValues v;
    v.sender = "first-last+tag@mail.example.org";
    v.local_part = "first-last+tag";
    v.sender_domain = "mail.example.org";
    v.domain = "example.org";
    v.ip_dotted = "2.0.0.1.0.d.b.8.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.c.b.0.1";
    v.ip_version = "ip6";
    v.helo = "gw.example.net";
    v.ip_text = "2001:db8::cb01";
    v.receiver = "mx.example.test";
    v.timestamp = "1700000000";
    v.validated_domain = "unknown";
    return v;
}

void check_domain_spec(const std::string& spec, const SpfMacroValues& values) {
    FUZZ_CHECK(valid_domain_spec(spec));
    auto name = expand_domain_spec(spec, values);
    if (!name) return;   // only an expansion over max_macro_expansion fails
    FUZZ_CHECK(name->size() <= 253);
}

void check_record(const SpfRecord& record, const SpfMacroValues& values) {
    FUZZ_CHECK(record.mechanisms.size() <= max_spf_terms);
    for (const auto& m : record.mechanisms) {
        FUZZ_CHECK(m.prefix4 <= 32 && m.prefix6 <= 128);
        if (!m.domain_spec.empty()) check_domain_spec(m.domain_spec, values);
        if (m.kind == SpfMechanismKind::include || m.kind == SpfMechanismKind::exists)
            FUZZ_CHECK(!m.domain_spec.empty());
    }
    if (record.redirect) check_domain_spec(*record.redirect, values);
    if (record.explanation) check_domain_spec(*record.explanation, values);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    const SpfMacroValues values = sample_values();

    SpfParse parsed = parse_spf_record(text);
    FUZZ_CHECK(parsed.record.has_value() == parsed.error.empty());
    if (parsed.record) {
        FUZZ_CHECK(text.size() <= max_spf_record_size);
        FUZZ_CHECK(is_spf_record(text));
        check_record(*parsed.record, values);
    }

    auto explanation = expand_macros(text, values, MacroUse::explanation);
    if (!valid_macro_string(text, MacroUse::explanation)) FUZZ_CHECK(!explanation);
    if (explanation) FUZZ_CHECK(explanation->size() <= max_macro_expansion);
    // Whatever is valid as a domain-spec is valid in an explanation.
    if (valid_macro_string(text, MacroUse::domain_spec)) FUZZ_CHECK(valid_macro_string(text, MacroUse::explanation));
    return 0;
}
