// What a list's stored settings mean (README.md, "Mailing lists", the
// settings table): each name, its values and its default. The store keeps
// names and values as text; this is the one place that reads them.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace pochta::lists {

enum class PostingPolicy { open, members, announce, moderated };
enum class NonMemberAction { hold, reject };
enum class FromRewrite { dmarc, always, never };

struct ListSettings {
    PostingPolicy policy = PostingPolicy::members;
    NonMemberAction non_member = NonMemberAction::hold;
    FromRewrite from_rewrite = FromRewrite::dmarc;
    std::string subject_prefix;        // e.g. "[staff]"; "" for none
    std::string description;           // the display name in From rewrites and List-Id
    bool notify_owners = false;        // owners told of subscriptions by mail
    std::string footer;                // text after each post (lines end in LF); "" for none
    int64_t bounce_threshold = 5;      // days with a hard bounce that stop a member's delivery
    int64_t bounce_window_days = 30;   // ... counted over this many days
    std::chrono::seconds digest_every{24 * 3600};  // a digest at the latest this long after its first post
    int64_t digest_max_posts = 10;     // ... or as soon as this many posts wait
};

// Empty when `value` is valid for the setting `name`, else why not.
std::string check_setting(std::string_view name, std::string_view value);

// Settings from the stored names and values; unknown or invalid stored
// values are ignored (their defaults apply).
ListSettings read_settings(const std::map<std::string, std::string>& stored);

// Every setting with its effective value, for `pochta list show`.
std::map<std::string, std::string> describe_settings(const ListSettings& settings);

}  // namespace pochta::lists
