// What the IMAP session knows about each command, in one row per command:
// the states it is valid in, how it treats message numbers, whether it has
// a UID form and takes the saved search result "$", and its handler.
// Adding a command is one row here (command_table.cpp) and one handler.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace pochta::imap {

class Session;
struct Command;

// Connection states a command is valid in (RFC 3501 section 3), as bits.
enum StateBit : uint8_t {
    in_not_authenticated = 1,
    in_authenticated = 2,
    in_selected = 4,
    in_any = in_not_authenticated | in_authenticated | in_selected,
    in_logged_in = in_authenticated | in_selected,
};

struct CommandSpec {
    std::string_view name;  // upper case, without "UID"
    uint8_t states = 0;     // StateBit values
    // The command names messages by sequence number in its plain form, so
    // no EXPUNGE may go out while it runs (RFC 3501 7.4.1); its UID form
    // may announce them.
    bool holds_numbers = false;
    bool uid_form = false;  // "UID <name>" exists
    // RFC 5182: "$" may stand for its first argument, the message set; with
    // saved_result_uid_only only in the UID form (UID EXPUNGE).
    bool saved_result = false;
    bool saved_result_uid_only = false;
    void (*handler)(Session&, Command&) = nullptr;

    bool valid_in(uint8_t state) const { return (states & state) != 0; }
    bool takes_saved_result(bool uid) const { return saved_result && (uid || !saved_result_uid_only); }
    // EXPUNGE responses may be sent at the end of this command.
    bool may_expunge(bool uid) const { return uid || !holds_numbers; }
};

// Every command the server knows, in the order of RFC 9051 section 6.
std::span<const CommandSpec> command_table();
// The row for an upper-case command name, or nullptr.
const CommandSpec* find_command(std::string_view name);

}  // namespace pochta::imap
