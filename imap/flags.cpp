#include "imap/flags.hpp"

#include <algorithm>

#include "common/util/strings.hpp"
#include "imap/response.hpp"
#include "store/store.hpp"

namespace pochta::imap {
namespace {

struct SystemFlag {
    const char* name;
    uint32_t bit;
};
constexpr SystemFlag system_flags[] = {
    {"\\Seen", store::flag_seen},       {"\\Answered", store::flag_answered}, {"\\Flagged", store::flag_flagged},
    {"\\Deleted", store::flag_deleted}, {"\\Draft", store::flag_draft},
};

}  // namespace

std::vector<std::string> flag_names(uint32_t flags, const std::vector<std::string>& keywords, bool recent) {
    std::vector<std::string> out;
    for (const auto& f : system_flags)
        if (flags & f.bit) out.emplace_back(f.name);
    out.insert(out.end(), keywords.begin(), keywords.end());
    if (recent) out.emplace_back("\\Recent");
    return out;
}

const char* special_use_attribute(store::SpecialUse use) {
    switch (use) {
        case store::SpecialUse::drafts: return "\\Drafts";
        case store::SpecialUse::sent: return "\\Sent";
        case store::SpecialUse::trash: return "\\Trash";
        case store::SpecialUse::junk: return "\\Junk";
        case store::SpecialUse::archive: return "\\Archive";
        case store::SpecialUse::none: break;
    }
    return nullptr;
}

std::optional<store::SpecialUse> special_use_named(std::string_view attribute) {
    for (auto use : {store::SpecialUse::drafts, store::SpecialUse::sent, store::SpecialUse::trash,
                     store::SpecialUse::junk, store::SpecialUse::archive})
        if (iequals(attribute, special_use_attribute(use))) return use;
    return std::nullopt;
}

std::optional<FlagSet> parse_flags(const std::vector<Token>& tokens, std::string& error) {
    FlagSet set;
    for (const Token& t : tokens) {
        // NIL is an atom like any other here: the keyword "NIL" (RFC 3501's
        // flag-keyword is an atom; the parser only gave it a type of its own).
        if (!(t.is_atom() || t.is_nil()) || !valid_flag(t.text) || t.text == "\\*") {
            error = "Invalid flag";
            return std::nullopt;
        }
        if (t.text.front() == '\\') {
            auto it = std::find_if(std::begin(system_flags), std::end(system_flags),
                                   [&](const SystemFlag& f) { return iequals(f.name, t.text); });
            if (it == std::end(system_flags)) {
                error = "Invalid system flag " + response_text(t.text);
                return std::nullopt;
            }
            set.flags |= it->bit;
            continue;
        }
        bool dup = std::any_of(set.keywords.begin(), set.keywords.end(),
                               [&](const std::string& k) { return iequals(k, t.text); });
        if (!dup) set.keywords.push_back(t.text);
    }
    return set;
}

}  // namespace pochta::imap
