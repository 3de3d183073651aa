#include "lists/list_settings.hpp"

#include <array>

namespace pochta::lists {

namespace {

constexpr size_t max_text = 200;

template <typename Enum, size_t N>
std::optional<Enum> pick(std::string_view value, const std::array<std::pair<std::string_view, Enum>, N>& names) {
    for (const auto& [name, e] : names)
        if (value == name) return e;
    return std::nullopt;
}

template <typename Enum, size_t N>
std::string_view name_of(Enum value, const std::array<std::pair<std::string_view, Enum>, N>& names) {
    for (const auto& [name, e] : names)
        if (e == value) return name;
    return {};
}

constexpr std::array<std::pair<std::string_view, PostingPolicy>, 4> policies{{
    {"open", PostingPolicy::open},
    {"members", PostingPolicy::members},
    {"announce", PostingPolicy::announce},
    {"moderated", PostingPolicy::moderated},
}};
constexpr std::array<std::pair<std::string_view, NonMemberAction>, 2> non_member_actions{{
    {"hold", NonMemberAction::hold},
    {"reject", NonMemberAction::reject},
}};
constexpr std::array<std::pair<std::string_view, FromRewrite>, 3> rewrites{{
    {"dmarc", FromRewrite::dmarc},
    {"always", FromRewrite::always},
    {"never", FromRewrite::never},
}};
constexpr std::array<std::pair<std::string_view, bool>, 2> booleans{{{"yes", true}, {"no", false}}};

// Header text: no line breaks or other control characters.
bool plain_text(std::string_view value) {
    if (value.size() > max_text) return false;
    for (unsigned char c : value)
        if (c < 0x20 || c == 0x7f) return false;
    return true;
}

}  // namespace

std::string check_setting(std::string_view name, std::string_view value) {
    if (name == "policy") return pick(value, policies) ? "" : "policy is open, members, announce or moderated";
    if (name == "non_member") return pick(value, non_member_actions) ? "" : "non_member is hold or reject";
    if (name == "from_rewrite") return pick(value, rewrites) ? "" : "from_rewrite is dmarc, always or never";
    if (name == "notify_owners") return pick(value, booleans) ? "" : "notify_owners is yes or no";
    if (name == "subject_prefix" || name == "description")
        return plain_text(value) ? "" : std::string(name) + " is one line of at most 200 printable characters";
    return "unknown list setting " + std::string(name);
}

ListSettings read_settings(const std::map<std::string, std::string>& stored) {
    ListSettings out;
    auto get = [&](const char* name) -> std::optional<std::string_view> {
        auto it = stored.find(name);
        if (it == stored.end() || !check_setting(name, it->second).empty()) return std::nullopt;
        return std::string_view(it->second);
    };
    if (auto v = get("policy")) out.policy = *pick(*v, policies);
    if (auto v = get("non_member")) out.non_member = *pick(*v, non_member_actions);
    if (auto v = get("from_rewrite")) out.from_rewrite = *pick(*v, rewrites);
    if (auto v = get("notify_owners")) out.notify_owners = *pick(*v, booleans);
    if (auto v = get("subject_prefix")) out.subject_prefix = *v;
    if (auto v = get("description")) out.description = *v;
    return out;
}

std::map<std::string, std::string> describe_settings(const ListSettings& settings) {
    return {
        {"policy", std::string(name_of(settings.policy, policies))},
        {"non_member", std::string(name_of(settings.non_member, non_member_actions))},
        {"from_rewrite", std::string(name_of(settings.from_rewrite, rewrites))},
        {"notify_owners", settings.notify_owners ? "yes" : "no"},
        {"subject_prefix", settings.subject_prefix},
        {"description", settings.description},
    };
}

}  // namespace pochta::lists
