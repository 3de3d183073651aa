#include "mailauth/spf_record.hpp"

#include <cctype>

#include "common/util/strings.hpp"
#include "mailauth/spf_macro.hpp"

namespace pochta::mailauth {

namespace {

constexpr std::string_view version_tag = "v=spf1";

struct NamedKind {
    std::string_view name;
    SpfMechanismKind kind;
};

constexpr NamedKind mechanism_names[] = {
    {"all", SpfMechanismKind::all},   {"include", SpfMechanismKind::include}, {"a", SpfMechanismKind::a},
    {"mx", SpfMechanismKind::mx},     {"ptr", SpfMechanismKind::ptr},         {"ip4", SpfMechanismKind::ip4},
    {"ip6", SpfMechanismKind::ip6},   {"exists", SpfMechanismKind::exists},
};

std::optional<SpfQualifier> qualifier_of(char c) {
    switch (c) {
        case '+': return SpfQualifier::pass;
        case '-': return SpfQualifier::fail;
        case '~': return SpfQualifier::softfail;
        case '?': return SpfQualifier::neutral;
        default: return std::nullopt;
    }
}

bool is_name_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
}

// The length of a modifier's name when `term` is name "=" ..., else 0
// (RFC 7208 section 12: name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." )).
size_t modifier_name_length(std::string_view term) {
    if (term.empty() || !std::isalpha(static_cast<unsigned char>(term.front()))) return 0;
    size_t i = 1;
    while (i < term.size() && is_name_char(term[i])) ++i;
    return i < term.size() && term[i] == '=' ? i : 0;
}

// A CIDR length "/N" at the end of `text` (N without leading zeros):
// removed from text and returned; nullopt leaves text as it was.
std::optional<unsigned> take_prefix_length(std::string_view& text) {
    size_t slash = text.rfind('/');
    if (slash == std::string_view::npos) return std::nullopt;
    std::string_view digits = text.substr(slash + 1);
    if (digits.empty() || digits.size() > 3 || (digits.size() > 1 && digits.front() == '0')) return std::nullopt;
    auto value = parse_uint(digits);
    if (!value) return std::nullopt;
    text = text.substr(0, slash);
    return static_cast<unsigned>(*value);
}

// dual-cidr-length = [ ip4-cidr-length ] [ "/" ip6-cidr-length ]
bool take_dual_cidr(std::string_view& text, SpfMechanism& m) {
    std::string_view rest = text;
    if (auto six = take_prefix_length(rest); six && !rest.empty() && rest.back() == '/') {
        rest.remove_suffix(1);
        if (*six > 128) return false;
        m.prefix6 = *six;
        text = rest;
    }
    if (auto four = take_prefix_length(text)) {
        if (*four > 32) return false;
        m.prefix4 = *four;
    }
    return true;
}

bool parse_network(std::string_view arg, SpfMechanism& m) {
    const bool v6 = m.kind == SpfMechanismKind::ip6;
    auto prefix = take_prefix_length(arg);
    auto network = v6 ? parse_ipv6(arg) : parse_ipv4(arg);
    if (!network || (prefix && *prefix > (v6 ? 128u : 32u))) return false;
    m.network = *network;
    if (prefix) (v6 ? m.prefix6 : m.prefix4) = *prefix;
    return true;
}

// What follows the mechanism's name: ":" argument and/or CIDR lengths.
bool parse_mechanism_argument(std::string_view rest, SpfMechanism& m) {
    using K = SpfMechanismKind;
    if (m.kind == K::all) return rest.empty();
    if (m.kind == K::ip4 || m.kind == K::ip6) return rest.size() > 1 && rest.front() == ':' && parse_network(rest.substr(1), m);
    if ((m.kind == K::a || m.kind == K::mx) && !take_dual_cidr(rest, m)) return false;
    if (rest.empty()) return m.kind != K::include && m.kind != K::exists;
    if (rest.front() != ':') return false;
    m.domain_spec = std::string(rest.substr(1));
    return valid_domain_spec(m.domain_spec);
}

std::optional<SpfMechanism> parse_mechanism(std::string_view term) {
    SpfMechanism m;
    if (auto q = qualifier_of(term.front())) {
        m.qualifier = *q;
        term.remove_prefix(1);
    }
    size_t name_end = term.find_first_of(":/");
    std::string_view name = term.substr(0, name_end);
    for (const auto& known : mechanism_names) {
        if (!iequals(name, known.name)) continue;
        m.kind = known.kind;
        std::string_view rest = name_end == std::string_view::npos ? std::string_view() : term.substr(name_end);
        if (!parse_mechanism_argument(rest, m)) return std::nullopt;
        return m;
    }
    return std::nullopt;
}

// redirect= and exp= take a domain-spec and appear at most once; other
// modifiers must be valid macro strings and are otherwise ignored
// (RFC 7208 section 6).
bool parse_modifier(std::string_view name, std::string_view value, SpfRecord& record, std::string& error) {
    std::optional<std::string>* slot = iequals(name, "redirect") ? &record.redirect
                                       : iequals(name, "exp")    ? &record.explanation
                                                                 : nullptr;
    if (!slot) {
        if (valid_macro_string(value, MacroUse::domain_spec)) return true;
        error = "bad macro string in modifier " + std::string(name);
        return false;
    }
    if (slot->has_value()) {
        error = std::string(name) + "= given twice";
        return false;
    }
    if (!valid_domain_spec(value)) {
        error = "bad domain in " + std::string(name) + "=";
        return false;
    }
    *slot = std::string(value);
    return true;
}

bool parse_term(std::string_view term, SpfRecord& record, std::string& error) {
    if (size_t name_length = modifier_name_length(term))
        return parse_modifier(term.substr(0, name_length), term.substr(name_length + 1), record, error);
    auto mechanism = parse_mechanism(term);
    if (!mechanism) {
        error = "bad term " + printable_prefix(term, 64);
        return false;
    }
    record.mechanisms.push_back(std::move(*mechanism));
    return true;
}

}  // namespace

bool is_spf_record(std::string_view txt) {
    return istarts_with(txt, version_tag) && (txt.size() == version_tag.size() || txt[version_tag.size()] == ' ');
}

SpfSelection select_spf_record(const std::vector<std::string>& txt_records) {
    SpfSelection selection;
    for (const auto& txt : txt_records) {
        if (!is_spf_record(txt)) continue;
        if (selection.kind == SpfSelection::Kind::one) return {SpfSelection::Kind::several, {}};
        selection = {SpfSelection::Kind::one, txt};
    }
    return selection;
}

SpfParse parse_spf_record(std::string_view text) {
    SpfParse result;
    if (text.size() > max_spf_record_size) {
        result.error = "record longer than " + std::to_string(max_spf_record_size) + " octets";
        return result;
    }
    if (!is_spf_record(text)) {
        result.error = "not an SPF record";
        return result;
    }
    SpfRecord record;
    size_t terms = 0;
    for (std::string_view term : split(text.substr(version_tag.size()), ' ')) {
        if (term.empty()) continue;
        if (++terms > max_spf_terms) {
            result.error = "more than " + std::to_string(max_spf_terms) + " terms";
            return result;
        }
        if (!parse_term(term, record, result.error)) return result;
    }
    result.record = std::move(record);
    return result;
}

}  // namespace pochta::mailauth
