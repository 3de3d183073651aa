// Digests (README.md, "Mailing lists", "Digests"): members with delivery
// `digest` get the list's posts together, as one RFC 2046 5.1.5
// multipart/digest: a text/plain table of contents first, then each post
// as a message/rfc822 part, in the order the list took them. A digest is
// due once `digest_max_posts` posts wait, or `digest_every` after the
// first of them arrived; one digest holds at most max_digest_bytes of posts
// (the rest wait for the next).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lists/list_settings.hpp"

namespace pochta::lists {

constexpr size_t max_digest_bytes = 10 * 1024 * 1024;

struct WaitingPosts {
    size_t count = 0;
    int64_t oldest = 0;   // unix seconds the first post arrived
};

bool digest_due(const ListSettings& settings, const WaitingPosts& waiting, int64_t now);

// The digest of `posts` for the list `list`, dated now.
std::string digest_message(std::string_view list, const ListSettings& settings,
                           const std::vector<std::string_view>& posts);

}  // namespace pochta::lists
