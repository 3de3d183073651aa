// The mail a list writes itself (README.md, "Mailing lists"): requests to
// confirm, posts held for moderators, refusals, welcomes. From LIST-owner@,
// Auto-Submitted (RFC 3834) and X-Loop, so no responder answers them and
// the list never takes them for a post.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace pochta::lists {

struct Notice {
    std::string to;
    std::string subject;
    std::string text;             // the body, lines ending in CR LF or LF
    std::string reply_to;         // "" for none
    std::string_view attached;    // a message to attach (message/rfc822); empty for none
};

std::string notice_message(std::string_view list, const Notice& notice);

// The notices when hard bounces on `days` days stopped a member's delivery
// (README.md, "Mailing lists", "Bounces"): to the member, with how to
// start it again, and to an owner.
Notice disabled_member_notice(std::string_view list, const std::string& member, int64_t days);
Notice disabled_owner_notice(std::string_view list, const std::string& owner, std::string_view member, int64_t days);

}  // namespace pochta::lists
