// Mailbox names as the store keeps them. Names are rows, never paths; '/'
// is the hierarchy delimiter. INBOX is case-insensitive (RFC 3501 5.1) and
// always stored as "INBOX"; every other name is exact and case-sensitive.
// The IMAP layer validates names against its own grammar first; the store
// only refuses what would corrupt its model of the hierarchy.
#pragma once

#include <string>
#include <string_view>

namespace pochta::store {

constexpr size_t max_mailbox_name_length = 1000;

bool is_inbox(std::string_view name);

// The stored form: "INBOX" for any spelling of it, else the name unchanged.
std::string canonical_mailbox_name(std::string_view name);

// Throws StoreError for an empty name, NUL bytes, a leading or trailing
// '/', an empty segment ("a//b") or more than max_mailbox_name_length bytes.
void check_mailbox_name(std::string_view name);

// True when `name` lies below `parent` in the hierarchy ("a/b" below "a",
// "ab" not below "a").
bool is_inferior(std::string_view name, std::string_view parent);

// The half-open range [low, high) of names below `parent` in byte order,
// for an indexed query: low = "parent/", high = "parent0" ('0' follows '/').
std::string inferiors_low(std::string_view parent);
std::string inferiors_high(std::string_view parent);

}  // namespace pochta::store
