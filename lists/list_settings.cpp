#include "lists/list_settings.hpp"

#include <array>

#include <fmt/format.h>

#include "common/config/config.hpp"
#include "common/util/strings.hpp"

namespace pochta::lists {

namespace {

constexpr size_t max_text = 200;
constexpr size_t max_footer = 2000;
constexpr std::chrono::seconds min_digest_every{3600};
constexpr std::chrono::seconds max_digest_every{30 * 24 * 3600};

struct NumberRange {
    std::string_view name;
    uint64_t low;
    uint64_t high;
};
constexpr std::array<NumberRange, 3> numbers{{
    {"bounce_threshold", 1, 1000},
    {"bounce_window_days", 1, 365},
    {"digest_max_posts", 1, 1000},
}};

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

// The footer: lines of printable text (tabs kept), LF between them.
bool footer_text(std::string_view value) {
    if (value.size() > max_footer) return false;
    for (unsigned char c : value)
        if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) return false;
    return true;
}

std::optional<uint64_t> number_in_range(std::string_view name, std::string_view value) {
    for (const auto& range : numbers) {
        if (range.name != name) continue;
        auto n = parse_uint(value);
        return n && *n >= range.low && *n <= range.high ? n : std::nullopt;
    }
    return std::nullopt;
}

std::optional<std::chrono::seconds> digest_period(std::string_view value) {
    auto period = parse_duration(value);
    if (!period || *period < min_digest_every || *period > max_digest_every) return std::nullopt;
    return period;
}

// "1d", "12h", "90m" or "5400s": the largest unit that divides it.
std::string duration_text(std::chrono::seconds period) {
    const auto n = period.count();
    if (n % 86400 == 0) return std::to_string(n / 86400) + "d";
    if (n % 3600 == 0) return std::to_string(n / 3600) + "h";
    if (n % 60 == 0) return std::to_string(n / 60) + "m";
    return std::to_string(n) + "s";
}

}  // namespace

std::string check_setting(std::string_view name, std::string_view value) {
    if (name == "policy") return pick(value, policies) ? "" : "policy is open, members, announce or moderated";
    if (name == "non_member") return pick(value, non_member_actions) ? "" : "non_member is hold or reject";
    if (name == "from_rewrite") return pick(value, rewrites) ? "" : "from_rewrite is dmarc, always or never";
    if (name == "notify_owners") return pick(value, booleans) ? "" : "notify_owners is yes or no";
    if (name == "subject_prefix" || name == "description")
        return plain_text(value) ? "" : std::string(name) + " is one line of at most 200 printable characters";
    if (name == "footer")
        return footer_text(value) ? "" : "footer is at most 2000 printable characters (line breaks allowed)";
    if (name == "digest_every") return digest_period(value) ? "" : "digest_every is a duration from 1h to 30d";
    for (const auto& range : numbers)
        if (range.name == name)
            return number_in_range(name, value)
                       ? ""
                       : fmt::format("{} is a number from {} to {}", name, range.low, range.high);
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
    if (auto v = get("footer")) out.footer = *v;
    if (auto v = get("bounce_threshold")) out.bounce_threshold = static_cast<int64_t>(*parse_uint(*v));
    if (auto v = get("bounce_window_days")) out.bounce_window_days = static_cast<int64_t>(*parse_uint(*v));
    if (auto v = get("digest_max_posts")) out.digest_max_posts = static_cast<int64_t>(*parse_uint(*v));
    if (auto v = get("digest_every")) out.digest_every = *digest_period(*v);
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
        {"footer", settings.footer},
        {"bounce_threshold", std::to_string(settings.bounce_threshold)},
        {"bounce_window_days", std::to_string(settings.bounce_window_days)},
        {"digest_every", duration_text(settings.digest_every)},
        {"digest_max_posts", std::to_string(settings.digest_max_posts)},
    };
}

}  // namespace pochta::lists
