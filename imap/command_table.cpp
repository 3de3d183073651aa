#include "imap/command_table.hpp"

#include <algorithm>

#include "imap/session.hpp"

namespace pochta::imap {

// The handlers are lambdas inside this friend of Session, so they reach its
// private cmd_* members; a capture-less lambda converts to the row's plain
// function pointer.
std::span<const CommandSpec> command_table() {
    using S = Session;
    using C = Command;
    static const CommandSpec table[] = {
        // Any state (RFC 9051 6.1), ID (RFC 2971).
        {"CAPABILITY", in_any, false, false, false, false, [](S& s, C&) { s.cmd_capability(); }},
        {"NOOP", in_any, false, false, false, false, [](S& s, C&) { s.cmd_noop(); }},
        {"LOGOUT", in_any, false, false, false, false, [](S& s, C&) { s.cmd_logout(); }},
        {"ID", in_any, false, false, false, false, [](S& s, C& c) { s.cmd_id(c); }},
        // Not authenticated (6.2).
        {"STARTTLS", in_not_authenticated, false, false, false, false, [](S& s, C&) { s.cmd_starttls(); }},
        {"AUTHENTICATE", in_not_authenticated, false, false, false, false,
         [](S& s, C& c) { s.cmd_authenticate(c); }},
        {"LOGIN", in_not_authenticated, false, false, false, false, [](S& s, C& c) { s.cmd_login(c); }},
        // Authenticated (6.3); valid in the selected state too.
        {"ENABLE", in_logged_in, false, false, false, false, [](S& s, C& c) { s.cmd_enable(c); }},
        {"SELECT", in_logged_in, false, false, false, false, [](S& s, C& c) { s.cmd_select(c, false); }},
        {"EXAMINE", in_logged_in, false, false, false, false, [](S& s, C& c) { s.cmd_select(c, true); }},
        {"CREATE", in_logged_in, false, false, false, false, [](S& s, C& c) { s.cmd_create(c); }},
        {"DELETE", in_logged_in, false, false, false, false, [](S& s, C& c) { s.cmd_delete(c); }},
        {"RENAME", in_logged_in, false, false, false, false, [](S& s, C& c) { s.cmd_rename(c); }},
        {"SUBSCRIBE", in_logged_in, false, false, false, false, [](S& s, C& c) { s.cmd_subscribe(c, true); }},
        {"UNSUBSCRIBE", in_logged_in, false, false, false, false, [](S& s, C& c) { s.cmd_subscribe(c, false); }},
        {"LIST", in_logged_in, false, false, false, false, [](S& s, C& c) { s.cmd_list(c, false); }},
        {"LSUB", in_logged_in, false, false, false, false, [](S& s, C& c) { s.cmd_list(c, true); }},
        {"NAMESPACE", in_logged_in, false, false, false, false, [](S& s, C&) { s.cmd_namespace(); }},
        {"STATUS", in_logged_in, false, false, false, false, [](S& s, C& c) { s.cmd_status(c); }},
        {"APPEND", in_logged_in, false, false, false, false, [](S& s, C& c) { s.cmd_append(c); }},
        {"IDLE", in_logged_in, false, false, false, false, [](S& s, C&) { s.cmd_idle(); }},
        {"COMPRESS", in_logged_in, false, false, false, false, [](S& s, C& c) { s.cmd_compress(c); }},  // RFC 4978
        // QUOTA (RFC 9208).
        {"GETQUOTA", in_logged_in, false, false, false, false, [](S& s, C& c) { s.cmd_getquota(c, false); }},
        {"GETQUOTAROOT", in_logged_in, false, false, false, false, [](S& s, C& c) { s.cmd_getquota(c, true); }},
        {"SETQUOTA", in_logged_in, false, false, false, false, [](S& s, C&) { s.cmd_setquota(); }},
        // Selected (6.4).
        {"CHECK", in_selected, false, false, false, false, [](S& s, C&) { s.cmd_noop(); }},
        {"CLOSE", in_selected, false, false, false, false, [](S& s, C&) { s.cmd_close(true); }},
        {"UNSELECT", in_selected, false, false, false, false, [](S& s, C&) { s.cmd_close(false); }},
        {"EXPUNGE", in_selected, false, true, true, true, [](S& s, C& c) { s.cmd_expunge(c); }},
        {"SEARCH", in_selected, true, true, false, false, [](S& s, C& c) { s.cmd_search(c); }},
        {"FETCH", in_selected, true, true, true, false, [](S& s, C& c) { s.cmd_fetch(c); }},
        {"STORE", in_selected, true, true, true, false, [](S& s, C& c) { s.cmd_store(c); }},
        {"COPY", in_selected, false, true, true, false, [](S& s, C& c) { s.cmd_copy(c, false); }},
        {"MOVE", in_selected, false, true, true, false, [](S& s, C& c) { s.cmd_copy(c, true); }},
        // SORT and THREAD (RFC 5256).
        {"SORT", in_selected, true, true, false, false, [](S& s, C& c) { s.cmd_sort(c); }},
        {"THREAD", in_selected, true, true, false, false, [](S& s, C& c) { s.cmd_thread(c); }},
    };
    return table;
}

const CommandSpec* find_command(std::string_view name) {
    auto table = command_table();
    auto row = std::find_if(table.begin(), table.end(), [&](const CommandSpec& c) { return c.name == name; });
    return row == table.end() ? nullptr : &*row;
}

}  // namespace pochta::imap
