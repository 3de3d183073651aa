#include "imap/status_items.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "common/util/strings.hpp"
#include "imap/mailbox_view.hpp"

namespace pochta::imap {
namespace {

constexpr std::array<const char*, 10> kItems = {"messages", "recent", "uidnext", "uidvalidity", "unseen", "highestmodseq",
                                                "size",     "deleted", "deleted-storage", "mailboxid"};

std::string upper(std::string s) {
    for (char& c : s)
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    return s;
}

}  // namespace

std::optional<std::vector<std::string>> parse_status_items(const Token& list, std::string& error) {
    if (!list.is_list() || list.children.empty()) {
        error = "STATUS needs a list of items";
        return std::nullopt;
    }
    std::vector<std::string> items;
    for (const auto& t : list.children) {
        std::string item = t.is_atom() ? to_lower(t.text) : std::string();
        if (std::find(kItems.begin(), kItems.end(), item) == kItems.end()) {
            error = "Unknown STATUS item";
            return std::nullopt;
        }
        items.push_back(std::move(item));
    }
    return items;
}

bool status_needs_messages(const std::vector<std::string>& items) {
    return std::any_of(items.begin(), items.end(), [](const auto& i) {
        return i == "size" || i == "deleted" || i == "deleted-storage" || i == "recent";
    });
}

StatusCounts count_status(const std::vector<store::MessageInfo>& messages, uint32_t recent_floor) {
    StatusCounts c;
    for (const auto& m : messages) {
        c.size += m.crlf_size;
        if (m.uid >= recent_floor) c.recent++;
        if (m.flags & store::flag_deleted) {
            c.deleted++;
            c.deleted_bytes += m.size;
        }
    }
    return c;
}

std::string status_values(const std::vector<std::string>& items, const store::MailboxInfo& box,
                          const StatusCounts& counts, uint32_t recent) {
    std::string out;
    for (const auto& item : items) {
        if (item == "mailboxid") {  // RFC 8474 4.2: the store's id, kept across RENAME
            out += fmt::format("{}MAILBOXID (F{})", out.empty() ? "" : " ", box.id);
            continue;
        }
        uint64_t v = item == "messages"        ? box.messages
                     : item == "recent"        ? recent
                     : item == "uidnext"       ? box.uidnext
                     : item == "uidvalidity"   ? box.uidvalidity
                     : item == "unseen"        ? box.unseen
                     : item == "highestmodseq" ? wire_modseq(box.highestmodseq)
                     : item == "size"          ? counts.size
                     : item == "deleted"       ? counts.deleted
                                               : (counts.deleted_bytes + 1023) / 1024;  // QUOTA's STORAGE unit
        out += fmt::format("{}{} {}", out.empty() ? "" : " ", upper(item), v);
    }
    return out;
}

}  // namespace pochta::imap
