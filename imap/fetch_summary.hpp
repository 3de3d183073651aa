// The summary pochta keeps per stored message for IMAP (the store's
// Options::summarize): ENVELOPE and BODYSTRUCTURE rendered once from the
// cached MIME structure, so FETCH of them is a copy, not a parse. Dovecot
// keeps the same two strings in its cache file for the same reason.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace pochta::imap {

// The summary of a serialized mime::Structure; empty if it does not
// deserialize (FETCH then renders from the structure itself).
std::string make_fetch_summary(const std::string& structure);

struct FetchSummary {
    std::string_view envelope;       // "(date subject from ...)"
    std::string_view bodystructure;  // with extension data
};

// nullopt for an empty summary, one of another version (rendering rules
// changed since it was made) or a damaged one.
std::optional<FetchSummary> parse_fetch_summary(std::string_view summary);

}  // namespace pochta::imap
