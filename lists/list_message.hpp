// The copy of a post a list sends to its members (README.md, "Mailing
// lists", "What a list changes in a post"): the RFC 2369/2919 List-*
// fields and X-Loop in place of any the post carried, the subject prefix,
// and, when the author's domain asks receivers to refuse or quarantine
// mail that fails DMARC, From rewritten to the list (Reply-To: the author),
// since the list's changes break the author's DKIM signature.
#pragma once

#include <string>
#include <optional>
#include <string_view>
#include <vector>

#include "lists/list_settings.hpp"

namespace pochta::lists {

struct CopyOptions {
    std::string list;             // the list's address
    const ListSettings* settings = nullptr;
    bool rewrite_from = false;
    // List-Unsubscribe is left out: each member's copy carries its own
    // (one-click, RFC 8058) before the shared content.
    bool unsubscribe_per_member = false;
    // "imap://HOST[:PORT]" where members read the archive (List-Archive
    // names its mailbox there); "" leaves List-Archive out.
    std::string archive_server{};
};

// "imap://HOSTNAME" with the port unless it is 143, for an IMAP listener
// with STARTTLS, else "imaps://HOSTNAME[:PORT]" for implicit TLS; "" for
// neither, or a port 0 (the bound one is not known here).
std::string archive_server(std::string_view hostname, std::optional<uint16_t> imap_port,
                           std::optional<uint16_t> imaps_port);

// The fields every message of the list carries: List-Id, List-Help,
// List-Subscribe, List-Unsubscribe, List-Post, List-Owner, List-Archive
// (when there is an archive server), Precedence and X-Loop, each ending in
// CR LF.
std::string list_header_fields(const CopyOptions& options);

// The member's copy of `message` (without Return-Path): its header
// rewritten, its body as it is. A message without a blank line after its
// header is all header.
std::string list_copy(std::string_view message, const CopyOptions& options);

// Whether the post has passed through this list already (an X-Loop field
// naming it): a list that is its own member, or in a circle of lists.
bool has_looped(std::string_view message, std::string_view list);

// The address of the message's one From field, lowercased; "" when none.
std::string author_address(std::string_view message);

struct RawField {
    std::string_view name;   // as written
    std::string_view text;   // the whole field, folds and line end included
};

// The header's fields as written, in order (lines that are not fields stay
// with the field before them); it ends at the first blank line.
std::vector<RawField> raw_fields(std::string_view header);

// RFC 2919 list-id: "staff.example.org" for staff@example.org.
std::string list_id(std::string_view list);

}  // namespace pochta::lists
