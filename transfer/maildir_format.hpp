// The files of a Dovecot Maildir (README.md, "Import and export"): message
// file names with their ":2," flags, dovecot-uidlist (UIDVALIDITY, next
// UID, UID of each file), dovecot-keywords (the letters a-z of a file name
// to keyword names) and Maildir++ folder names (".Work.Projects", modified
// UTF-7). Pure and bounded: what a hostile or damaged Maildir holds is
// skipped, never trusted.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pochta::transfer {

constexpr size_t max_maildir_name = 1024;     // longer than any file system allows
constexpr size_t max_uidlist_line = 8 * 1024;
constexpr size_t maildir_keyword_slots = 26;  // the letters a-z

struct MaildirName {
    std::string base;                // the name before ":2,": the key in dovecot-uidlist
    uint32_t flags = 0;              // store::Flag bits
    std::string keyword_letters;     // 'a'..'z' as given: indexes into dovecot-keywords
};

// nullopt for a name no Maildir writer makes (empty, dot file, too long,
// a slash or control character). Unknown flag letters are ignored.
std::optional<MaildirName> parse_maildir_name(std::string_view name);

// ":2," and the flag letters in the ASCII order Maildir wants (uppercase
// flags before the lowercase keyword letters).
std::string maildir_info(uint32_t flags, std::string_view keyword_letters);

struct UidlistEntry {
    uint32_t uid = 0;
    std::string base;
};

struct Uidlist {
    uint32_t uidvalidity = 0;
    uint32_t uidnext = 0;            // the header's; Dovecot may lag it behind the last UID
    std::vector<UidlistEntry> entries;
    size_t bad_lines = 0;            // skipped: malformed, UID 0, too long, or a UID repeated
    std::string error;               // not empty: no usable header, nothing else is set
};

// Versions 1 ("1 UIDVALIDITY NEXTUID", lines "UID NAME") and 3 ("3 V.. N..
// G..", lines "UID [EXT...] :NAME") of dovecot-uidlist.
Uidlist parse_uidlist(std::string_view text);

// The version 3 header line for export.
std::string uidlist_header(uint32_t uidvalidity, uint32_t uidnext);

// Slot i holds the keyword of letter 'a' + i, empty where none is given.
std::vector<std::string> parse_keywords(std::string_view text);

// Dovecot's `subscriptions` file: "V\t2", an empty line, then one name a
// line with a tab between levels, in modified UTF-7 (version 1: names
// only). Names that do not decode are left out.
std::vector<std::string> parse_subscriptions(std::string_view text);
std::string subscriptions_file(const std::vector<std::string>& names);

// ".Work.Projects" -> "Work/Projects" (Maildir++ uses '.' between levels,
// names on disk in modified UTF-7); nullopt when not a folder name.
std::optional<std::string> folder_from_maildir(std::string_view dir_name);
// The inverse: "" for INBOX; nullopt when the name cannot live in
// Maildir++ (a '.' of its own, a level starting with '~' or '.').
std::optional<std::string> maildir_from_folder(std::string_view name);

}  // namespace pochta::transfer
