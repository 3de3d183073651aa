#include "smtp/submission_hygiene.hpp"

#include <fmt/format.h>

#include "common/util/strings.hpp"

namespace pochta::smtp {
namespace {

struct HeaderScan {
    bool complete = false;     // the header's end was seen (or the message's)
    bool no_header = false;    // the first line is not a field and not empty
    bool from = false, date = false, message_id = false;
};

// "Name:" with a name of printable ASCII other than ':' (RFC 5322 2.2).
std::string_view field_name(std::string_view line) {
    size_t colon = line.find(':');
    if (colon == 0 || colon == std::string_view::npos) return {};
    for (unsigned char c : line.substr(0, colon))
        if (c <= 32 || c >= 127) return {};
    return line.substr(0, colon);
}

HeaderScan scan_header(std::string_view head, bool whole_message) {
    HeaderScan scan;
    bool first = true;
    while (true) {
        // Past the head of a longer message the header goes on unseen.
        if (head.empty()) {
            scan.complete = whole_message;
            return scan;
        }
        size_t end = head.find('\n');
        if (end == std::string_view::npos && !whole_message) return scan;  // a line cut by the head's end
        std::string_view line = head.substr(0, end);
        head.remove_prefix(end == std::string_view::npos ? head.size() : end + 1);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.empty()) break;
        if (line.front() == ' ' || line.front() == '\t') continue;  // folded: part of the field before
        std::string_view name = field_name(line);
        if (name.empty()) {
            scan.no_header = first;
            if (first) break;
            continue;  // a broken line inside the header: not a field we look for
        }
        first = false;
        scan.from |= iequals(name, "From");
        scan.date |= iequals(name, "Date");
        scan.message_id |= iequals(name, "Message-ID");
    }
    scan.complete = true;
    return scan;
}

}  // namespace

std::string missing_header_fields(std::string_view head, bool whole_message, const SubmitterIdentity& who) {
    HeaderScan scan = scan_header(head, whole_message);
    if (!scan.complete) return {};
    std::string out;
    if (!scan.message_id) out += fmt::format("Message-ID: <{}@{}>\r\n", random_hex(16), who.hostname);
    if (!scan.date) out += fmt::format("Date: {}\r\n", rfc5322_date_now());
    if (!scan.from) out += fmt::format("From: <{}>\r\n", who.user);
    if (scan.no_header) out += "\r\n";
    return out;
}

}  // namespace pochta::smtp
