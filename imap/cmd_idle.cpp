// IDLE (RFC 2177): changes are pushed as the notifier reports them, until
// the client sends DONE. The autologout timer keeps running; clients renew
// IDLE every 29 minutes, which resets it.
#include "common/util/strings.hpp"
#include "imap/session.hpp"

namespace pochta::imap {

void Session::cmd_idle() {
    input_ = Input::idle;
    send("+ idling\r\n");
    if (!selected_) return;
    announce(true);
    dirty_ = true;  // catch up with anything the notifier reported before IDLE began
    maybe_refresh();
}

void Session::on_idle_line(const std::string& line) {
    input_ = Input::command;
    if (iequals(line, "DONE")) return ok("IDLE terminated");
    bad("Expected DONE");
}

}  // namespace pochta::imap
