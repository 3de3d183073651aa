// Mailing-list pages on the https listener only (their tokens are
// capabilities: never over plain http): RFC 8058 one-click unsubscribe,
// /lists/unsubscribe?t=TOKEN (README.md, "One-click unsubscribe"), and a
// held post's moderation page, /lists/moderate?t=TOKEN (README.md,
// "Posting policies"). A POST acts; a GET only shows a form that POSTs,
// since link scanners and prefetchers GET every URL in a message.
#pragma once

#include <functional>
#include <string>

#include "http/router.hpp"
#include "lists/list_unsubscribe.hpp"

namespace pochta::http {

// Checks a token and, with `commit`, unsubscribes its member; `done` on the loop.
using OneClickUnsubscribe =
    std::function<void(std::string token, bool commit, std::function<void(lists::OneClickOutcome)> done)>;

// Checks a held post's token and, unless `look`, approves or rejects it.
using ModerateByLink = std::function<void(std::string token, lists::LinkDecision decision,
                                          std::function<void(lists::ModerationOutcome)> done)>;

void add_list_routes(Router& router, OneClickUnsubscribe unsubscribe, ModerateByLink moderate);

}  // namespace pochta::http
