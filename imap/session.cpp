#include "imap/session.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>
#include <utility>

#include "common/util/log.hpp"
#include "common/util/strings.hpp"
#include "imap/mutf7.hpp"

namespace pochta::imap {
namespace {

constexpr unsigned max_errors = 50;          // BADs in a row before the session is dropped
constexpr size_t max_response_line = 8192;   // AUTHENTICATE responses and IDLE's DONE, without CRLF

// Before login nothing large has any business arriving but the largest ID
// RFC 2971 allows: 30 pairs of a 30-octet field and a 1,024-octet value,
// quoted (about 32 KiB in all).
ParserLimits pre_auth_limits() {
    ParserLimits limits;
    limits.max_line = 40 * 1024;
    limits.max_literal = 8192;
    limits.max_literal_total = 40 * 1024;
    limits.max_tokens = 100;
    return limits;
}

}  // namespace

Session::Session(SessionContext& ctx) : ctx_(ctx), parser_(pre_auth_limits()) {}

Session::~Session() {
    if (notifier_id_) ctx_.notifier.remove(notifier_id_);
    if (archive_notifier_id_) ctx_.notifier.remove(archive_notifier_id_);
}

bool Session::tls_ok() const { return conn_->tls_active() || ctx_.plaintext_auth; }

void Session::send(std::string_view text) { conn_->write(text); }

std::string Session::capabilities() const {
    std::string caps = "IMAP4rev1 IMAP4rev2 SASL-IR LITERAL+ ID ENABLE";
    if (state_ == State::not_authenticated) {
        if (!conn_->tls_active() && ctx_.tls) caps += " STARTTLS";
        if (tls_ok()) caps += " AUTH=PLAIN AUTH=LOGIN";
        else caps += " LOGINDISABLED";
        return caps;
    }
    caps += " IDLE NAMESPACE UNSELECT CHILDREN SPECIAL-USE UIDPLUS MOVE ESEARCH CONDSTORE QRESYNC"
            " LIST-EXTENDED LIST-STATUS STATUS=SIZE UTF8=ACCEPT BINARY SEARCHRES"
            " SORT SORT=DISPLAY ESORT THREAD=ORDEREDSUBJECT THREAD=REFERENCES COMPRESS=DEFLATE"
            " QUOTA QUOTA=RES-STORAGE QUOTA=RES-MESSAGE";
    caps += " MULTIAPPEND PREVIEW CREATE-SPECIAL-USE OBJECTID SAVEDATE";
    return caps;
}

void Session::on_open(net::Connection& conn) {
    conn_ = &conn;
    conn.set_idle_timeout(ctx_.idle_timeout);
    send(fmt::format("* OK [CAPABILITY {}] pochta ready\r\n", capabilities()));
}

void Session::bye_and_close(std::string_view text) {
    send(fmt::format("* BYE {}\r\n", response_text(text)));
    state_ = State::logout;
    conn_->close();
}

void Session::on_timeout(net::Connection&) { bye_and_close("Autologout; idle for too long"); }

void Session::on_shutdown(net::Connection&) {
    // A login's answer is worth nothing now: its check is dropped, not
    // waited for (README.md: the server stops within 10 s).
    bool logging_in = login_.pending();
    login_.cancel();
    if (busy_ && input_ != Input::idle && !logging_in) {
        shutting_down_ = true;  // say goodbye once the command under way has its answer
        return;
    }
    bye_and_close("Server shutting down");
}

void Session::on_closed(net::Connection&) {
    login_.cancel();
    if (notifier_id_) ctx_.notifier.remove(notifier_id_);
    notifier_id_ = 0;
    watch_archive("");
    fetch_.reset();
}

void Session::on_input(net::Connection&) { process_input(); }

bool Session::reading() const {
    return !refreshing_ && !waiting_drain_ && !spool_waiting_ && (!busy_ || input_ != Input::command);
}

void Session::update_pause() {
    if (conn_->closing()) return;
    if (!reading()) {
        if (!conn_->input_paused()) conn_->pause_input();
    } else if (conn_->input_paused()) {
        conn_->resume_input();
    }
}

void Session::process_input() {
    auto& in = conn_->input();
    while (!conn_->closing() && reading() && !in.empty()) {
        // The rest of a line refused as too long is not a command.
        if (!lines_.skip_rest(in)) continue;
        if (input_ != Input::command) {
            if (!read_line()) return;
            continue;
        }
        size_t used = 0;
        ParseResult r = parser_.feed(in.view(), used);
        in.consume(used);
        if (r.status == ParseResult::Status::need_more) {
            if (r.continuation) on_continuation(r.literal_size);
            pause_while_spool_behind();
            if (used == 0) break;
            continue;
        }
        if (r.status == ParseResult::Status::error) {
            on_parse_error(r.error);
            continue;
        }
        execute(std::move(r.command));
    }
    update_pause();
}

// One line for AUTHENTICATE or IDLE; false when none is complete yet. An
// overlong line ends the exchange with BAD.
bool Session::read_line() {
    session::Line line = lines_.next(conn_->input(), max_response_line + 2);
    if (line.kind == session::Line::Kind::none) return false;
    if (line.kind == session::Line::Kind::too_long) {
        input_ = Input::command;
        sasl_.reset();
        bad("Line too long");
    } else if (input_ == Input::auth_response) {
        on_auth_response(line.text);
    } else {
        on_idle_line(line.text);
    }
    return true;
}

void Session::on_continuation(uint64_t size) {
    std::string_view name = parser_.pending_name();
    if (name == "APPEND" && size > ctx_.max_message_size) {
        // Refused before the client sends a byte (RFC 7888 section 4).
        send(status_line(parser_.pending_tag(), Status::no, "TOOBIG", "Message too big"));
        parser_.reset();
        return;
    }
    send("+ Ready for literal data\r\n");
}

void Session::on_parse_error(const ParseError& error) {
    std::string tag = error.tag.empty() ? "*" : error.tag;
    bool toobig = error.kind == ParseErrorKind::literal_too_big;
    Status status = toobig && !error.close && !error.tag.empty() ? Status::no : Status::bad;
    send(status_line(tag, status, toobig ? "TOOBIG" : "", error.reason));
    if (error.close) return bye_and_close("Too much data; closing");
    count_error();
}

void Session::count_error() {
    if (++errors_ < max_errors) return;
    bye_and_close("Too many invalid commands");
}

uint8_t Session::state_bit() const {
    switch (state_) {
        case State::not_authenticated: return in_not_authenticated;
        case State::selected: return in_selected;
        default: return in_authenticated;  // logout: only the goodbye is left
    }
}

const CommandSpec* Session::admit(const Command& cmd) {
    const CommandSpec* spec = find_command(cmd.name);
    if (state_ == State::not_authenticated && !(spec && spec->valid_in(in_not_authenticated))) {
        bad("Not authenticated");
        return nullptr;
    }
    if (spec && !spec->valid_in(state_bit())) {
        bad("Command valid only in the selected state or before login");
        return nullptr;
    }
    if (cmd.uid && !(spec && spec->uid_form)) {
        bad("Unknown UID command");
        return nullptr;
    }
    if (!spec) bad("Unknown command");
    return spec;
}

void Session::execute(Command cmd) {
    tag_ = std::move(cmd.tag);
    name_ = cmd.name;
    uid_ = cmd.uid;
    command_ = nullptr;
    busy_ = true;
    const CommandSpec* spec = admit(cmd);
    if (!spec) return;
    command_ = spec;
    // New messages and flag changes learnt since the last command go out
    // first, so every number this command uses is one the client knows.
    if (selected_) send_announcements(selected_->view.take(false));
    use_saved_result(*spec, cmd);
    spec->handler(*this, cmd);
}

// RFC 5182: "$" is the sequence set of the commands whose row says so
// (SEARCH reads it in imap/esearch). The saved UIDs become the
// text of a set in the command's own numbering; an empty result leaves
// "$", which parses to a set naming nothing, so the command does nothing.
void Session::use_saved_result(const CommandSpec& spec, Command& cmd) const {
    if (!selected_ || !spec.takes_saved_result(cmd.uid) || cmd.args.empty() || !cmd.args[0].is_atom() ||
        cmd.args[0].text != "$")
        return;
    const SeqSet& uids = selected_->saved_uids;
    if (uids.empty()) return;
    if (cmd.uid) {
        cmd.args[0].text = uids.str();
        return;
    }
    auto seqs = selected_->view.resolve(uids, true);
    if (seqs && !seqs->empty()) cmd.args[0].text = SeqSet::from_numbers(std::move(*seqs)).str();
}

void Session::complete(Status status, std::string_view code, std::string_view text) {
    if (!busy_ || conn_->closing()) return;
    if (selected_) {
        // RFC 3501 7.4.1: no EXPUNGE during FETCH, STORE or SEARCH (their
        // UID forms allow it), so message numbers stay put for the client.
        announce(!command_ || command_->may_expunge(uid_));
    }
    send(status_line(tag_, status, code, text));
    busy_ = false;
    if (status == Status::bad) count_error();
    else errors_ = 0;
    if (conn_->closing()) return;
    if (shutting_down_) return bye_and_close("Server shutting down");
    if (dirty_) maybe_refresh();
    update_pause();
}

void Session::announce(bool allow_expunge) {
    if (selected_) send_announcements(selected_->view.take(allow_expunge));
}

std::string Session::expunge_lines(const Announcements& a) const {
    if (a.expunged.empty()) return {};
    if (qresync_enabled_) return fmt::format("* VANISHED {}\r\n", SeqSet::from_numbers(a.expunged_uids).str());
    std::string out;
    for (uint32_t seq : a.expunged) out += fmt::format("* {} EXPUNGE\r\n", seq);
    return out;
}

void Session::enable_condstore() {
    if (condstore_enabled_) return;
    condstore_enabled_ = true;
    if (selected_)
        send(fmt::format("* OK [HIGHESTMODSEQ {}] Highest\r\n", wire_modseq(selected_->view.modseq())));
}

std::string Session::flags_lines(bool force) {
    std::set<std::string> keywords = selected_->keywords;
    keywords.insert(selected_->view.keywords().begin(), selected_->view.keywords().end());
    if (!force && keywords.size() == selected_->keywords.size()) return {};
    selected_->keywords = keywords;
    std::string list = "\\Answered \\Flagged \\Deleted \\Seen \\Draft";
    for (const auto& k : keywords) list += " " + k;
    std::string out = fmt::format("* FLAGS ({})\r\n", list);
    out += fmt::format("* OK [PERMANENTFLAGS {}] Limited\r\n",
                       selected_->read_only ? std::string("()") : "(" + list + " \\*)");
    return out;
}

void Session::send_announcements(const Announcements& a) {
    std::string out = expunge_lines(a);
    if (a.exists || !a.flag_changes.empty()) out += flags_lines(false);
    if (a.exists) {
        out += fmt::format("* {} EXISTS\r\n", *a.exists);
        if (!imap4rev2_) out += fmt::format("* {} RECENT\r\n", a.recent.value_or(0));
    }
    // RFC 9051 7.5.2: an unsolicited FETCH always carries the UID in rev2;
    // fetch_flags_line() adds it when the command is a UID one.
    bool uid = std::exchange(uid_, uid_ || imap4rev2_);
    for (const FlagChange& change : a.flag_changes) out += fetch_flags_line(change.seq, change.info);
    uid_ = uid;
    if (!out.empty()) send(out);
}

std::string Session::wire_name(std::string_view utf8) const {
    return astring(mailbox_to_wire(utf8, utf8_enabled_), utf8_enabled_);
}

// A mailbox argument in UTF-8; "inbox" in any case is INBOX.
std::optional<std::string> Session::name_arg(const Token& token) const {
    auto text = token.astring();
    if (!text) return std::nullopt;
    if (iequals(*text, "INBOX")) return std::string("INBOX");
    auto name = mailbox_from_wire(*text, utf8_enabled_);
    if (!name) return std::nullopt;
    if (istarts_with(*name, "INBOX/")) name->replace(0, 5, "INBOX");
    return name;
}

// ---- Changes made elsewhere.

void Session::on_store_change(const store::ChangeEvent& event) {
    if (!selected_ || event.mailbox_id != selected_->view.mailbox_id()) return;
    dirty_ = true;
    maybe_refresh();
}

// Refreshes now when nothing else runs; otherwise complete() does it after
// the command. In IDLE the result goes out at once.
void Session::maybe_refresh() {
    if (!dirty_ || refreshing_ || !selected_ || conn_->closing()) return;
    if (busy_ && input_ != Input::idle) return;
    refresh([this] {
        if (input_ == Input::idle) announce(true);
    });
}

void Session::refresh(std::function<void()> then) {
    struct Delta {
        bool gone = false;
        store::MailboxInfo box;
        std::vector<store::MessageInfo> changed;
        std::vector<uint32_t> expunged;
        // The tombstones since the view's MODSEQ were pruned: the UIDs that
        // exist instead, and the view's others are gone.
        std::optional<std::vector<uint32_t>> present;
        uint32_t first_recent = 0;
    };
    refreshing_ = true;
    dirty_ = false;
    update_pause();
    const MailboxView& view = selected_->view;
    int64_t id = view.mailbox_id();
    uint64_t since = view.modseq();
    uint32_t max_uid = view.max_uid();
    // A rev2 session has no \Recent (RFC 9051 appendix E): it leaves new
    // mail to be claimed by rev1 sessions.
    bool claim = !selected_->read_only && !imap4rev2_;
    std::string user = user_;
    run_store<Delta>(
        [=](store::Store& store) {
            Delta d;
            // The mailbox's MODSEQ first: anything committed after this read
            // is above it and is fetched again next time, never lost.
            auto box = store.mailbox_state(id);
            if (!box) {
                d.gone = true;
                return d;
            }
            d.box = std::move(*box);
            d.changed = store.changed_since(id, since);
            if (since < d.box.expunge_horizon) {
                d.present.emplace();
                for (const auto& m : store.list_messages(id)) d.present->push_back(m.uid);
            } else {
                d.expunged = store.expunged_since(id, since);
            }
            bool new_mail = !d.changed.empty() && d.changed.back().uid > max_uid;
            if (claim && new_mail) d.first_recent = store.claim_recent(id, d.changed.back().uid + 1);
            return d;
        },
        [id, then = std::move(then)](Session& self, Delta d, store::Error error) {
            self.refreshing_ = false;
            if (!error.empty()) log::warn("imap user={} refresh failed: {}", self.user_, error);
            if (self.selected_ && self.selected_->view.mailbox_id() == id) {
                if (d.gone) return self.bye_and_close("Selected mailbox was deleted");
                if (error.empty() && d.present) {
                    std::vector<uint32_t> live = self.selected_->view.live_uids();
                    std::set_difference(live.begin(), live.end(), d.present->begin(), d.present->end(),
                                        std::back_inserter(d.expunged));
                }
                if (error.empty())
                    self.selected_->view.apply(d.changed, d.expunged, d.box.highestmodseq, d.box.uidnext,
                                               d.first_recent);
            }
            if (then) then();
            if (self.conn_->closing()) return;
            self.update_pause();
            if (self.dirty_) self.maybe_refresh();
        });
}

}  // namespace pochta::imap
