#include "imap/fetch_summary.hpp"

#include <fmt/format.h>

#include "common/mime/structure.hpp"
#include "common/util/strings.hpp"
#include "imap/bodystructure.hpp"
#include "imap/envelope.hpp"

namespace pochta::imap {
namespace {

// Bump when render_envelope or render_bodystructure change their output:
// summaries of another version are ignored and rendered afresh.
constexpr std::string_view version_tag = "imap1:";

}  // namespace

// "imap1:<envelope length>:<envelope><bodystructure>"
std::string make_fetch_summary(const std::string& structure) {
    auto parsed = mime::deserialize(structure);
    if (!parsed) return {};
    std::string envelope = render_envelope(parsed->root);
    return fmt::format("{}{}:{}{}", version_tag, envelope.size(), envelope,
                       render_bodystructure(parsed->root, true));
}

std::optional<FetchSummary> parse_fetch_summary(std::string_view summary) {
    if (!summary.starts_with(version_tag)) return std::nullopt;
    summary.remove_prefix(version_tag.size());
    size_t colon = summary.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    auto length = parse_uint(summary.substr(0, colon));
    summary.remove_prefix(colon + 1);
    if (!length || *length > summary.size()) return std::nullopt;
    FetchSummary out;
    out.envelope = summary.substr(0, *length);
    out.bodystructure = summary.substr(*length);
    if (out.envelope.empty() || out.bodystructure.empty()) return std::nullopt;
    return out;
}

}  // namespace pochta::imap
