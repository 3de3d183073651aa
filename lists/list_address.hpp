// The addresses of a list (README.md, "Mailing lists"): LIST@ for posts,
// LIST-subscribe@, LIST-unsubscribe@, LIST-owner@ (or with '+' instead of
// '-'), and the addresses the list itself hands out: LIST+confirm-TOKEN@,
// LIST+approve-TOKEN@, LIST+reject-TOKEN@ and the VERP return path
// LIST+bounce-LOCAL=DOMAIN@.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace pochta::lists {

enum class ListCommand { post, subscribe, unsubscribe, owner, confirm, approve, reject, bounce };

std::string_view command_name(ListCommand command);
std::optional<ListCommand> command_named(std::string_view name);

struct ListAddress {
    std::string list_local;    // the list's local part
    ListCommand command = ListCommand::post;
    std::string argument;      // the token, or the VERP-encoded member
};

// How `local` (a lowercased local part, at most 64 octets) names a command
// of a list whose local part is a prefix of it; nullopt when it has no
// command suffix (it may still be a list's own address: a post).
std::optional<ListAddress> parse_list_command(std::string_view local);

// member@example.org -> list+bounce-member=example.org@list.domain.
std::string verp_address(std::string_view list, std::string_view member);
// The address a VERP argument encodes ("member=example.org"), "" if none.
std::string verp_member(std::string_view argument);

// "list+WORD-ARGUMENT@domain" or "list-WORD@domain" for `list` "list@domain".
std::string command_address(std::string_view list, ListCommand command, std::string_view argument = {});

}  // namespace pochta::lists
