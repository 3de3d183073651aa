#include "lists/list_bounces.hpp"

#include <algorithm>
#include <optional>
#include <utility>

#include "common/mime/header.hpp"
#include "common/mime/structure.hpp"
#include "common/util/strings.hpp"

namespace pochta::lists {

namespace {

constexpr size_t max_read = 64 * 1024;
// The report parts come first (RFC 6522); the returned message after them
// is not read.
constexpr size_t max_bounce_read = 256 * 1024;
constexpr uint32_t max_status_field = 4096;

const mime::Part* find_status_part(const mime::Part& part) {
    if (part.type == "message" && (part.subtype == "delivery-status" || part.subtype == "global-delivery-status"))
        return &part;
    if (part.kind != mime::PartKind::multipart) return nullptr;
    for (const auto& child : part.children)
        if (auto found = find_status_part(child)) return found;
    return nullptr;
}

// The first text part of a report: the human-readable explanation (RFC 6522).
const mime::Part* find_text_part(const mime::Part& part) {
    if (part.kind == mime::PartKind::leaf) return part.type == "text" ? &part : nullptr;
    if (part.kind != mime::PartKind::multipart) return nullptr;
    for (const auto& child : part.children)
        if (auto found = find_text_part(child)) return found;
    return nullptr;
}

bool names_dmarc(std::string_view text) { return to_lower(text).find("dmarc") != std::string::npos; }

struct RecipientStatus {
    std::string action;       // lowercased
    std::string status;       // "5.1.1"
    std::string diagnostic;
};

// The per-recipient blocks of a delivery-status body (RFC 3464 2.3): the
// first block is per message, each further block, after a blank line, per
// recipient.
std::vector<RecipientStatus> recipient_statuses(std::string_view body) {
    std::vector<RecipientStatus> out;
    size_t pos = 0;
    bool first = true;
    while (pos < body.size()) {
        const uint64_t end = mime::find_header_end(body, pos, body.size());
        std::string_view block = body.substr(pos, end - pos);
        pos = end > pos ? end : body.size();
        if (trim(block).empty()) continue;
        if (std::exchange(first, false)) continue;
        RecipientStatus r;
        mime::for_each_field(block, max_status_field, [&](std::string_view name, std::string value) {
            if (iequals(name, "Action")) r.action = to_lower(trim(value));
            else if (iequals(name, "Status")) r.status = std::string(trim(value).substr(0, 16));
            else if (iequals(name, "Diagnostic-Code")) r.diagnostic = std::move(value);
            return true;
        });
        out.push_back(std::move(r));
    }
    return out;
}

BounceKind bounce_kind_of(const RecipientStatus& r) {
    const bool permanent = r.status.starts_with("5.") && (r.action.empty() || r.action == "failed");
    if (!permanent) return BounceKind::soft;
    if (r.status.starts_with("5.7.") && names_dmarc(r.diagnostic)) return BounceKind::dmarc;
    return BounceKind::hard;
}

std::string_view report_text(std::string_view raw, const mime::Part& part) {
    return raw.substr(part.body_start, std::min<uint64_t>(part.body_size(), max_read));
}

}  // namespace

BounceReport read_bounce(std::string_view whole) {
    const std::string_view message = whole.substr(0, max_bounce_read);
    const mime::Structure structure = mime::parse_message(message);
    const mime::Part* status_part = find_status_part(structure.root);
    if (!status_part) return {};
    const auto statuses = recipient_statuses(report_text(message, *status_part));
    if (statuses.empty()) return {};
    // A bounce to a VERP address names one member: its first failure decides.
    auto failed = std::find_if(statuses.begin(), statuses.end(),
                               [](const RecipientStatus& r) { return bounce_kind_of(r) != BounceKind::soft; });
    const RecipientStatus& decisive = failed == statuses.end() ? statuses.front() : *failed;
    BounceReport report{bounce_kind_of(decisive), decisive.status};
    if (report.kind == BounceKind::hard) {
        const mime::Part* text = find_text_part(structure.root);
        if (names_dmarc(report_text(message, *status_part)) || (text && names_dmarc(report_text(message, *text))))
            report.kind = BounceKind::dmarc;
    }
    return report;
}

std::string_view bounce_kind_name(BounceKind kind) {
    switch (kind) {
        case BounceKind::hard: return "hard";
        case BounceKind::soft: return "soft";
        case BounceKind::dmarc: return "dmarc";
        case BounceKind::unknown: break;
    }
    return "not a delivery status notification";
}

}  // namespace pochta::lists
