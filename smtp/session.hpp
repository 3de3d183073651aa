// One SMTP server session (RFC 5321) on the MX, submission or submissions
// listener. Parses with smtp/command, decides by state and listener, and
// hands accepted mail to the store. Runs on the loop thread only.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/auth/directory.hpp"
#include "common/auth/hash_pool.hpp"
#include "common/auth/login_throttle.hpp"
#include "common/auth/sasl.hpp"
#include "common/config/config.hpp"
#include "common/dns/resolver.hpp"
#include "common/net/connection.hpp"
#include "common/session/line_reader.hpp"
#include "common/session/login.hpp"
#include "common/session/session_ref.hpp"
#include "lists/list_engine.hpp"
#include "smtp/command.hpp"
#include "smtp/data_reader.hpp"
#include "mailauth/arrival_check.hpp"
#include "smtp/forwarding.hpp"
#include "smtp/message_body.hpp"
#include "smtp/outbound_limits.hpp"
#include "smtp/sieve_delivery.hpp"
#include "smtp/spam_checks.hpp"
#include "store/async_store.hpp"
#include "store/content_edit.hpp"

namespace pochta::smtp {

enum class Listener { mx, submission, submissions };

// What every session of one server shares.
struct SessionContext {
    const Config& config;
    auth::Directory& directory;
    auth::LoginThrottle& throttle;
    store::AsyncStore& store;
    std::shared_ptr<net::TlsContext> tls;
    std::shared_ptr<auth::HashPool> hash_pool;  // shared with the other protocols
    dns::Resolver* resolver = nullptr;  // for the checks on arrival; none: not checked
    const Forwarding* forwarding = nullptr;     // SRS; nullptr when [srs] is off
    spam::Filter* spam = nullptr;       // the spam verdict on the MX listener; none: not judged
    OutboundLimits* outbound_limits = nullptr;  // submission's hourly limits per user; none: unlimited
    SieveDelivery* sieve = nullptr;     // users' scripts at delivery; none: every copy to INBOX (or Junk)
    lists::ListEngine* lists = nullptr;  // mailing lists (README.md, "Mailing lists"); none: no lists
};

// 452 4.3.1 when the disk is full, else 451 4.3.0: a storage failure is temporary.
std::string storage_failure_reply(const store::Error& error);

class Session : public net::Handler {
public:
    Session(SessionContext& ctx, Listener listener);

    void on_open(net::Connection& conn) override;
    void on_input(net::Connection& conn) override;
    void on_timeout(net::Connection& conn) override;
    void on_shutdown(net::Connection& conn) override;
    void on_peer_closed(net::Connection& conn) override { login_.on_peer_closed(conn); }
    void on_closed(net::Connection& conn) override;

private:
    enum class Input { command, data, bdat, auth_response, waiting };

    struct Recipient {
        std::string address;   // as given, for logs and "for <...>"
        auth::Resolution resolution;
        std::optional<lists::ListTarget> list = {};  // an address of a mailing list (smtp/list_recipients.cpp)
    };
    struct Transaction {
        std::string from;
        bool null_sender = false;
        bool smtputf8 = false;
        Body body = Body::unspecified;
        std::vector<Recipient> recipients;
        bool chunking_used = false;
        std::unique_ptr<MessageBody> content;  // DATA or the BDAT chunks so far
        std::string queue_id;             // with the prefix, made once (message_prefix)
        std::string prefix;               // Return-Path and Received
        size_t relay_skip = 0;            // the Return-Path line
        // Checks on arrival (smtp/arrival_checks.cpp), MX listener only.
        std::shared_ptr<mailauth::ArrivalCheck> checks;
        std::string checks_summary;               // for the log line
        std::vector<store::ContentEdit> edits;    // Authentication-Results in, claimed ones renamed
        std::shared_ptr<store::Spool> edited_spool;  // a spooled body with the edits
        store::SpecialUse folder = store::SpecialUse::none;  // Junk for a DMARC quarantine
        std::vector<SpamGroup> spam_groups;  // the spam verdicts (smtp/spam_checks.cpp); empty: not judged
        bool quota_checked = false;          // smtp/quota_checks.cpp
        bool sieve_scripts = true;           // false: that check found no Sieve script to run
        bool lists_kept = false;             // smtp/list_recipients.cpp
        std::map<std::string, SpamTest> spam_tests;  // the verdicts for Sieve's spamtest, by user
    };

    void reply(const std::string& text);
    void process_commands();
    // The limit for the line at the front of the input (AUTH lines are longer).
    size_t line_limit() const;
    void on_long_line();
    void dispatch(const Command& cmd);

    void handle_helo(const Command& cmd, bool extended);
    void handle_mail(const Command& cmd);
    void handle_rcpt(const Command& cmd);
    void handle_data();
    void handle_bdat(const Command& cmd);
    void handle_starttls(const Command& cmd);
    void handle_auth(const Command& cmd);
    // Acts on what the exchange says after the AUTH command or a response
    // line: a challenge goes out and the next line answers it; a refusal or
    // the password check ends the exchange.
    void on_sasl_step(auth::SaslStep step);
    void verify_credentials(std::string username, std::string password);
    void on_login(const session::Login::Outcome& outcome);
    bool check_sender_allowed(const Address& from);
    std::optional<std::string> check_recipient(const Address& rcpt, auth::Resolution& out);
    // A refused RCPT counts as an error; from the third on, its reply waits
    // longer each time, so harvesting addresses is slow (README.md).
    void refuse_recipient(std::string reply);

    void read_data();
    void read_bdat();
    void take_chunk(std::string_view piece);
    void finish_message();
    // False (and the 451 sent) when the user is over the hourly limits (smtp/outbound_limits.cpp).
    bool within_outbound_limits();
    bool checks_on() const;
    void start_checks();
    void check_arrival();
    void on_arrival_report(mailauth::ArrivalReport report);
    // The body as the client sent it, for a worker to read: a spool by its
    // mapping; a body in memory moved out into `kept`, for the caller to
    // move back when the worker is done.
    struct LentBody {
        std::string_view bytes;
        std::shared_ptr<const void> owner;
        std::shared_ptr<std::string> kept;
    };
    LentBody lend_body();
    bool spam_on() const;
    void judge_spam(std::vector<std::string> verified, std::vector<spam::Signal> signals);
    void on_spam_verdicts(std::vector<spam::UserVerdict> verdicts);
    void apply_rspamd(std::vector<spam::UserVerdict> verdicts, const spam::RspamdResult& result);
    void apply_rspamd_edits(const spam::RspamdResult& result);
    // Refusal, greylisting or the groups of recipients, then the edits.
    void settle_verdicts(std::vector<spam::UserVerdict> verdicts, std::string extra_fields);
    void accept_verdicts(std::vector<spam::UserVerdict> verdicts, const std::string& extra_fields);
    // Copies a spooled body with the edits (one copy per spam group), then delivers.
    void store_edits();
    void deliver();
    // smtp/quota_checks.cpp.
    void accept_recipient(Recipient recipient);
    void accept_recipient_within_quota(Recipient recipient);
    void deliver_within_quota();
    // Mailing lists (smtp/list_recipients.cpp). A local address that is no
    // user or alias may be a list's: asked of the store, `refusal` sent
    // when it is not. Before the delivery, each list keeps its copy.
    bool may_be_list(const Address& rcpt, const auth::Resolution& resolution) const;
    void find_list_recipient(const Address& rcpt, std::string refusal);
    void keep_list_copies();
    // Sieve at delivery (smtp/sieve_delivery.cpp): what the scripts know of
    // the transaction; nullopt when no script runs (no local recipient).
    std::optional<SieveEnvelope> sieve_envelope(const std::vector<store::Delivery>& parts) const;
    void filter_then_store(SieveEnvelope envelope, std::vector<store::Delivery> parts, std::string log_line);
    // Stores every part; one reply for all of them, then the follow-ups.
    void store_parts(std::vector<store::Delivery> parts, std::string log_line, std::string queue_id,
                     SieveFollowUps follow_ups);
    void fill_content(store::Delivery& delivery, const std::vector<store::ContentEdit>& edits,
                      std::shared_ptr<store::Spool> edited);
    // One delivery per spam group (or the one), each with its content (smtp/spam_checks.cpp).
    std::vector<store::Delivery> spam_parts(store::Delivery delivery);
    // Submission: the user wrote to these addresses; their mail is trusted (README.md, "Spam").
    void note_correspondents(const std::vector<std::string>& recipients);
    // The header lines stored before the body; made when first asked (at
    // the end of the data, or when a large body moves to a spool).
    const std::string& message_prefix();
    void start_body();
    // Stops reading while the body's spool is behind the client.
    void pause_while_spool_behind();
    void reset_transaction();
    void count_error();
    void resume_after_async();
    session::SessionRef<Session> ref() { return {*conn_, *this}; }

    bool submission() const { return listener_ != Listener::mx; }

    SessionContext& ctx_;
    Listener listener_;
    net::Connection* conn_ = nullptr;
    Input input_ = Input::command;
    session::LineReader lines_;
    std::string helo_;
    bool esmtp_ = false;
    std::string user_;                 // authenticated user, "" if none
    std::optional<auth::SaslExchange> sasl_;  // the AUTH exchange under way, if any
    std::optional<Transaction> tx_;
    std::optional<DataReader> data_;
    std::optional<session::CountedBytes> bdat_;  // the chunk being read
    bool bdat_last_ = false;
    std::string bdat_refusal_;         // the reply for a refused chunk, sent once it is read
    session::Login login_{"smtp"};
    std::unique_ptr<net::EventLoop::Timer> refusal_delay_;
    unsigned errors_ = 0;
    unsigned refused_recipients_ = 0;
    bool shutting_down_ = false;
};

}  // namespace pochta::smtp
