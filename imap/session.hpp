// One IMAP server session on the imap (STARTTLS) or imaps listener:
// IMAP4rev1 (RFC 3501 with the extensions listed in capabilities()), and
// IMAP4rev2 (RFC 9051) once the client sends ENABLE IMAP4rev2. The command
// families live in cmd_*.cpp; this class holds the state they share:
// connection state, the parser, the selected mailbox and the command under
// way. Runs on the loop thread only: every store call and password check
// goes off the loop and comes back through a weak_ptr to the connection.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/auth/sasl.hpp"
#include "common/net/connection.hpp"
#include "imap/command_table.hpp"
#include "common/session/line_reader.hpp"
#include "common/session/login.hpp"
#include "common/session/session_ref.hpp"
#include "imap/context.hpp"
#include "imap/esearch.hpp"
#include "imap/fetch_items.hpp"
#include "imap/mailbox_view.hpp"
#include "imap/parser.hpp"
#include "imap/response.hpp"
#include "imap/status_items.hpp"

namespace pochta::imap {

struct Qresync;  // SELECT's QRESYNC parameter (cmd_select.cpp)
struct FetchPiece;  // fetch_render.hpp
struct SearchMatch;  // search_run.hpp

class Session : public net::Handler {
public:
    explicit Session(SessionContext& ctx);
    ~Session() override;

    void on_open(net::Connection& conn) override;
    void on_input(net::Connection& conn) override;
    void on_timeout(net::Connection& conn) override;
    void on_shutdown(net::Connection& conn) override;
    void on_peer_closed(net::Connection& conn) override { login_.on_peer_closed(conn); }
    void on_drained(net::Connection& conn) override;
    void on_closed(net::Connection& conn) override;

    // The CAPABILITY list for the current state (without "CAPABILITY").
    std::string capabilities() const;

private:
    // The command table's rows call the cmd_* handlers below.
    friend std::span<const CommandSpec> command_table();

    enum class State { not_authenticated, authenticated, selected, logout };
    // What the next input is: a command, an AUTHENTICATE response line, or
    // IDLE's "DONE".
    enum class Input { command, auth_response, idle };

    struct FetchJob;
    struct Selected {
        std::string name;  // UTF-8, as stored
        std::string owner;  // the store user it belongs to: the session's, or a list archive's (full-text index)
        bool read_only = false;
        MailboxView view;
        std::set<std::string> keywords;  // as announced in the last FLAGS line
        // SEARCHRES (RFC 5182): the last SEARCH RETURN (SAVE) result as UIDs,
        // so expunged messages drop out by themselves. Starts empty with
        // every SELECT/EXAMINE and goes with CLOSE/UNSELECT.
        SeqSet saved_uids;
    };

    // ---- session.cpp: input, dispatch, replies, untagged updates.
    void send(std::string_view text);
    void process_input();
    bool read_line();
    void on_continuation(uint64_t size);
    void on_parse_error(const ParseError& error);
    void execute(Command cmd);
    // The command's row when it may run in the current state; otherwise
    // replies BAD and returns nullptr.
    const CommandSpec* admit(const Command& cmd);
    uint8_t state_bit() const;
    // Puts the saved search result in place of a "$" set argument.
    void use_saved_result(const CommandSpec& spec, Command& cmd) const;
    // Ends the current command: pending untagged updates, then the tagged
    // status; resumes input if the command went asynchronous.
    void complete(Status status, std::string_view code, std::string_view text);
    void ok(std::string_view text, std::string_view code = {}) { complete(Status::ok, code, text); }
    void no(std::string_view text, std::string_view code = {}) { complete(Status::no, code, text); }
    void bad(std::string_view text, std::string_view code = {}) { complete(Status::bad, code, text); }
    void announce(bool allow_expunge);
    void send_announcements(const Announcements& a);
    std::string fetch_flags_line(uint32_t seq, const store::MessageInfo& info);
    // "* FLAGS" and PERMANENTFLAGS with the keywords in use, when `force`
    // or when a keyword the client has not heard of appeared.
    std::string flags_lines(bool force);
    // "* n EXPUNGE" lines, or one "* VANISHED uids" with QRESYNC.
    std::string expunge_lines(const Announcements& a) const;
    // The first CONDSTORE-enabling command: with a mailbox selected, its
    // HIGHESTMODSEQ goes out now (RFC 7162 3.1).
    void enable_condstore();
    void update_pause();
    bool reading() const;
    session::SessionRef<Session> ref() { return {*conn_, *this}; }
    bool tls_ok() const;
    std::string wire_name(std::string_view utf8) const;
    std::optional<std::string> name_arg(const Token& token) const;
    void count_error();
    void on_store_change(const store::ChangeEvent& event);
    // Reads what changed in the selected mailbox since the view's MODSEQ,
    // applies it, then calls `then` (on the loop, session alive).
    void refresh(std::function<void()> then);
    void maybe_refresh();
    void bye_and_close(std::string_view text);

    template <typename Result>
    void run_store(std::function<Result(store::Store&)> work, std::function<void(Session&, Result, store::Error)> done);

    // ---- cmd_auth.cpp: any-state and not-authenticated commands.
    void cmd_capability();
    void cmd_logout();
    void cmd_starttls();
    void cmd_login(const Command& cmd);
    void cmd_authenticate(const Command& cmd);
    void on_auth_response(const std::string& line);
    // Acts on what the exchange says after AUTHENTICATE or a response line:
    // a challenge goes out and the next line answers it; a refusal or the
    // password check ends the exchange.
    void on_sasl_step(auth::SaslStep step);
    void verify_credentials(std::string username, std::string password);
    void on_login(const session::Login::Outcome& outcome);
    void login_succeeded(const std::string& user);
    void cmd_id(const Command& cmd);
    void cmd_enable(const Command& cmd);
    void cmd_namespace();
    void cmd_noop();

    // ---- cmd_list.cpp: LIST (with LIST-EXTENDED and LIST-STATUS), LSUB.
    void cmd_list(const Command& cmd, bool lsub);
    // "* LIST (attributes) "/" name" for one mailbox: rev2's SELECT sends it.
    std::string mailbox_list_line(const store::MailboxInfo& box) const;

    // ---- cmd_mailbox.cpp: CREATE, DELETE, RENAME, (UN)SUBSCRIBE, STATUS.
    void cmd_create(const Command& cmd);
    void cmd_delete(const Command& cmd);
    void cmd_rename(const Command& cmd);
    void cmd_subscribe(const Command& cmd, bool subscribe);
    void cmd_status(const Command& cmd);
    std::string status_response(const store::MailboxInfo& box, const StatusCounts& counts,
                                const std::vector<std::string>& items) const;

    // ---- cmd_select.cpp: SELECT, EXAMINE, CLOSE, UNSELECT, CHECK, EXPUNGE.
    void cmd_select(const Command& cmd, bool read_only);
    // `pruned`: the store's tombstones do not reach back to the client's
    // MODSEQ, so VANISHED (EARLIER) names every UID it may know that is gone.
    void send_qresync(const Qresync& q, bool pruned, const std::vector<uint32_t>& expunged,
                      const std::vector<store::MessageInfo>& changed);
    void cmd_close(bool expunge);
    void cmd_expunge(const Command& cmd);
    void finish_expunge(const std::vector<uint32_t>& removed, std::string_view code);

    // ---- cmd_fetch.cpp: FETCH, UID FETCH.
    void cmd_fetch(const Command& cmd);
    void fetch_set_seen(std::shared_ptr<FetchJob> job, bool sets_seen);
    void start_fetch(std::shared_ptr<FetchJob> job);
    void pump_fetch();
    void render_next_batch();
    void stream_chunk(const FetchPiece& piece);

    // ---- cmd_store.cpp: STORE, COPY, MOVE.
    void cmd_store(const Command& cmd);
    struct StoreOutcome {
        store::FlagResult result;
        std::vector<store::MessageRow> rows;  // without .SILENT: the targets' flags after the change
    };
    void finish_store(const std::vector<uint32_t>& targets, const StoreOutcome& outcome);
    void cmd_copy(const Command& cmd, bool move);

    // ---- cmd_append.cpp.
    void cmd_append(Command& cmd);
    // The parser's literal sink factory: an APPEND literal over
    // store::spool_threshold goes to a spool (imap/spooled_literal.hpp).
    std::shared_ptr<LiteralSink> literal_sink(const LiteralAnnouncement& literal);
    // Stops reading while the spool of the literal being read is behind.
    void pause_while_spool_behind();
    // One message of an APPEND; `stream`: its spool, until made durable.
    struct PendingAppend {
        store::AppendRequest request;
        std::shared_ptr<store::SpoolStream> stream;
    };
    void finish_spools(std::vector<PendingAppend> messages, size_t next, std::string target);
    void store_append(std::vector<store::AppendRequest> requests, std::string target);

    // ---- list_archives.cpp: the shared namespace of list archives.
    // Listens to the changes of `owner` (a selected archive's store user), or stops with "".
    void watch_archive(const std::string& owner);

    // ---- cmd_idle.cpp.
    void cmd_idle();
    void on_idle_line(const std::string& line);

    // ---- cmd_search.cpp.
    void cmd_search(const Command& cmd);
    void send_search_result(SearchReturn options, bool uid, const std::vector<SearchHit>& found, bool with_modseq);

    // ---- cmd_quota.cpp: GETQUOTA, GETQUOTAROOT, SETQUOTA.
    void cmd_getquota(const Command& cmd, bool by_mailbox);
    void cmd_setquota();

    // ---- cmd_compress.cpp.
    void cmd_compress(const Command& cmd);

    // ---- cmd_sort.cpp: SORT, THREAD.
    void cmd_sort(const Command& cmd);
    void finish_sort(const SearchReturn& options, bool uid, bool with_modseq,
                     const std::vector<SearchMatch>& sorted);
    void cmd_thread(const Command& cmd);
    void refuse_search(const SearchError& error, std::string_view command, bool saves);

    SessionContext& ctx_;
    net::Connection* conn_ = nullptr;
    State state_ = State::not_authenticated;
    Input input_ = Input::command;
    CommandParser parser_;
    bool authenticated_parser_ = false;  // the parser has the post-login limits

    // The command under way.
    std::string tag_;
    std::string name_;
    const CommandSpec* command_ = nullptr;  // its row in the command table
    bool uid_ = false;
    bool busy_ = false;             // a command is running (maybe asynchronously)
    bool refreshing_ = false;       // a refresh of the selected mailbox is running
    bool dirty_ = false;            // the store changed the selected mailbox since the last refresh
    bool shutting_down_ = false;
    bool waiting_drain_ = false;    // a FETCH waits for the output to drain
    bool spool_waiting_ = false;    // an APPEND literal's spool is behind the client
    std::weak_ptr<store::SpoolStream> spooling_;  // the spool of the last large APPEND literal
    session::LineReader lines_;     // AUTHENTICATE responses and IDLE's DONE
    unsigned errors_ = 0;

    std::string user_;
    uint64_t notifier_id_ = 0;
    uint64_t archive_notifier_id_ = 0;  // watch_archive()
    session::Login login_{"imap"};
    std::optional<auth::SaslExchange> sasl_;  // the AUTHENTICATE exchange under way, if any

    bool utf8_enabled_ = false;
    bool condstore_enabled_ = false;  // RFC 7162: MODSEQ in every FETCH that reports flags
    bool qresync_enabled_ = false;    // VANISHED instead of EXPUNGE
    // ENABLE IMAP4rev2 (RFC 9051 appendix A): UTF-8 names, no \Recent or
    // RECENT, ESEARCH for every SEARCH, rev2's SELECT responses, UID in
    // every unsolicited FETCH, HASCHILDREN for DELETE.
    bool imap4rev2_ = false;

    std::optional<Selected> selected_;
    std::shared_ptr<FetchJob> fetch_;
};

template <typename Result>
void Session::run_store(std::function<Result(store::Store&)> work,
                        std::function<void(Session&, Result, store::Error)> done) {
    // Keyed by user: one user's heavy commands wait for their own turn (store/async_store.hpp).
    ctx_.store.run<Result>(
        std::move(work),
        ref().bind([done = std::move(done)](Session& self, Result r, store::Error e) {
            done(self, std::move(r), std::move(e));
        }),
        user_);
}

}  // namespace pochta::imap
