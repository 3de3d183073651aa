// RFC 8058 one-click unsubscribe for mailing lists (README.md, "Mailing
// lists", "One-click unsubscribe"): /lists/unsubscribe?t=TOKEN on the https
// listener only (the token is a capability: never over plain http). A POST
// unsubscribes; a GET only shows a form that POSTs, since link scanners
// and prefetchers GET every URL in a message.
#pragma once

#include <functional>
#include <string>

#include "http/router.hpp"
#include "lists/list_unsubscribe.hpp"

namespace pochta::http {

// Checks a token and, with `commit`, unsubscribes its member; `done` on the loop.
using OneClickUnsubscribe =
    std::function<void(std::string token, bool commit, std::function<void(lists::OneClickOutcome)> done)>;

void add_list_routes(Router& router, OneClickUnsubscribe unsubscribe);

}  // namespace pochta::http
