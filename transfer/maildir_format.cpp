#include "transfer/maildir_format.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "common/util/strings.hpp"
#include "imap/mutf7.hpp"
#include "store/store.hpp"

namespace pochta::transfer {

namespace {

struct FlagLetter {
    char letter;
    uint32_t flag;
};

// Maildir's letters (cr.yp.to/proto/maildir.html) in ASCII order; 'P'
// (passed, i.e. forwarded) has no IMAP system flag and is dropped.
constexpr FlagLetter flag_letters[] = {
    {'D', store::flag_draft}, {'F', store::flag_flagged}, {'R', store::flag_answered},
    {'S', store::flag_seen},  {'T', store::flag_deleted},
};

// 1 .. 2^32-2: the UID after it must still be one (UIDNEXT, RFC 3501 2.3.1.1).
std::optional<uint32_t> parse_uid(std::string_view s) {
    auto n = parse_uint(s);
    if (!n || *n == 0 || *n >= UINT32_MAX) return std::nullopt;
    return static_cast<uint32_t>(*n);
}

// "V123" -> 123 for the version 3 header's fields.
std::optional<uint32_t> field(const std::vector<std::string_view>& words, char key) {
    for (auto word : words)
        if (word.size() > 1 && word[0] == key) return parse_uid(word.substr(1));
    return std::nullopt;
}

bool plausible_name(std::string_view name) {
    if (name.empty() || name.size() > max_maildir_name || name.front() == '.') return false;
    return std::none_of(name.begin(), name.end(),
                        [](char c) { return c == '/' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

// One entry line: version 3 "UID [EXT...] :NAME", version 1 "UID NAME".
std::optional<UidlistEntry> parse_entry(std::string_view line, bool version3) {
    const auto space = line.find(' ');
    if (space == std::string_view::npos) return std::nullopt;
    auto uid = parse_uid(line.substr(0, space));
    std::string_view name = line.substr(space + 1);
    if (version3) {
        const auto colon = name.find(':');
        if (colon == std::string_view::npos || (colon > 0 && name[colon - 1] != ' ')) return std::nullopt;
        name = name.substr(colon + 1);
    }
    if (!uid || !plausible_name(name)) return std::nullopt;
    return UidlistEntry{*uid, std::string(name)};
}

}  // namespace

std::optional<MaildirName> parse_maildir_name(std::string_view name) {
    if (!plausible_name(name)) return std::nullopt;
    MaildirName out;
    const auto colon = name.find(':');
    out.base = std::string(name.substr(0, colon));
    if (colon == std::string_view::npos) return out;
    const std::string_view info = name.substr(colon + 1);
    if (info.substr(0, 2) != "2,") return out;  // experimental ":1," semantics: no flags
    for (char c : info.substr(2)) {
        for (const auto& f : flag_letters)
            if (c == f.letter) out.flags |= f.flag;
        if (c >= 'a' && c <= 'z' && out.keyword_letters.find(c) == std::string::npos) out.keyword_letters += c;
    }
    return out;
}

std::string maildir_info(uint32_t flags, std::string_view keyword_letters) {
    std::string out = ":2,";
    for (const auto& f : flag_letters)
        if (flags & f.flag) out += f.letter;
    std::string letters(keyword_letters);
    std::sort(letters.begin(), letters.end());
    letters.erase(std::unique(letters.begin(), letters.end()), letters.end());
    return out + letters;
}

Uidlist parse_uidlist(std::string_view text) {
    Uidlist out;
    const auto end = text.find('\n');
    const auto header = split_words(text.substr(0, end));
    const bool version3 = !header.empty() && (header[0] == "3" || header[0] == "2");
    if (version3) {
        auto v = field(header, 'V');
        auto n = field(header, 'N');
        if (v) out.uidvalidity = *v;
        if (n) out.uidnext = *n;
    } else if (header.size() >= 3 && header[0] == "1") {
        auto v = parse_uid(header[1]);
        auto n = parse_uid(header[2]);
        if (v) out.uidvalidity = *v;
        if (n) out.uidnext = *n;
    }
    if (out.uidvalidity == 0 || end == std::string_view::npos) {
        out.error = "no dovecot-uidlist header with a UIDVALIDITY";
        out.uidvalidity = 0;
        out.uidnext = 0;
        return out;
    }
    std::set<uint32_t> seen;
    for (size_t pos = end + 1; pos < text.size();) {
        auto next = text.find('\n', pos);
        if (next == std::string_view::npos) next = text.size();
        const std::string_view line = text.substr(pos, next - pos);
        pos = next + 1;
        if (line.empty()) continue;
        auto entry = line.size() <= max_uidlist_line ? parse_entry(line, version3) : std::nullopt;
        if (!entry || !seen.insert(entry->uid).second) {
            ++out.bad_lines;
            continue;
        }
        out.entries.push_back(std::move(*entry));
    }
    return out;
}

std::string uidlist_header(uint32_t uidvalidity, uint32_t uidnext) {
    return fmt::format("3 V{} N{}\n", uidvalidity, uidnext);
}

std::vector<std::string> parse_keywords(std::string_view text) {
    std::vector<std::string> slots(maildir_keyword_slots);
    for (auto line : split(text, '\n')) {
        const auto space = line.find(' ');
        if (space == std::string_view::npos) continue;
        auto index = parse_uint(line.substr(0, space));
        const std::string_view name = trim(line.substr(space + 1));
        if (!index || *index >= maildir_keyword_slots || name.empty() || name.size() > 128 || has_control_chars(name))
            continue;
        slots[*index] = std::string(name);
    }
    return slots;
}

std::vector<std::string> parse_subscriptions(std::string_view text) {
    std::vector<std::string> names;
    const bool version2 = text.substr(0, 4) == "V\t2\n";
    for (auto line : split(text.substr(version2 ? 4 : 0), '\n')) {
        if (line.empty() || line.size() > max_maildir_name) continue;
        std::string mutf7(line);
        std::replace(mutf7.begin(), mutf7.end(), '\t', '/');
        auto name = imap::mutf7_decode(mutf7);
        if (name && imap::valid_mailbox_name(*name)) names.push_back(std::move(*name));
    }
    return names;
}

std::string subscriptions_file(const std::vector<std::string>& names) {
    std::string out = "V\t2\n\n";
    for (const auto& name : names) {
        auto mutf7 = imap::mutf7_encode(name);
        if (!mutf7) continue;
        std::replace(mutf7->begin(), mutf7->end(), '/', '\t');
        out += *mutf7 + "\n";
    }
    return out;
}

std::optional<std::string> folder_from_maildir(std::string_view dir_name) {
    if (dir_name.size() < 2 || dir_name.front() != '.' || dir_name.size() > max_maildir_name ||
        dir_name.find('/') != std::string_view::npos)
        return std::nullopt;
    std::string mutf7(dir_name.substr(1));
    if (mutf7.front() == '.' || mutf7.back() == '.' || mutf7.find("..") != std::string::npos) return std::nullopt;
    std::replace(mutf7.begin(), mutf7.end(), '.', '/');
    auto name = imap::mutf7_decode(mutf7);
    if (!name || !imap::valid_mailbox_name(*name)) return std::nullopt;
    return name;
}

std::optional<std::string> maildir_from_folder(std::string_view name) {
    if (iequals(name, "INBOX")) return std::string();
    if (name.find('.') != std::string_view::npos) return std::nullopt;
    for (auto level : split(name, '/'))
        if (level.empty() || level.front() == '~') return std::nullopt;
    auto mutf7 = imap::mutf7_encode(name);
    if (!mutf7) return std::nullopt;
    std::replace(mutf7->begin(), mutf7->end(), '/', '.');
    return "." + *mutf7;
}

}  // namespace pochta::transfer
