// What rspamd's answer asks of the message's header, as edits of the
// stored bytes (README.md, "rspamd"): the Subject it rewrote, and the
// fields of milter.remove_headers taken out.
#pragma once

#include <string_view>
#include <vector>

#include "spam/rspamd.hpp"
#include "store/content_edit.hpp"

namespace pochta::smtp {

// Offsets are into `message`, the message as the client sent it; sorted,
// never overlapping.
std::vector<store::ContentEdit> rspamd_header_edits(std::string_view message, const spam::RspamdResult& result);

// `edits` with `more` merged in by offset; an edit of `more` that would
// overlap one already there is dropped (ours, such as a renamed
// Authentication-Results field, win).
std::vector<store::ContentEdit> merge_edits(std::vector<store::ContentEdit> edits, std::vector<store::ContentEdit> more);

}  // namespace pochta::smtp
