// Logging in: USER/PASS (RFC 1939 section 7) and AUTH PLAIN/LOGIN
// (RFC 5034), only over TLS; then the maildrop lock and the INBOX listing.
#include <fmt/format.h>

#include <algorithm>

#include "common/auth/sasl.hpp"
#include "common/util/log.hpp"
#include "common/util/strings.hpp"
#include "pop3/session.hpp"

namespace pochta::pop3 {
namespace {

constexpr std::string_view plaintext_refused =
    "-ERR [AUTH] Plaintext authentication disallowed on non-secure connections, use STLS first";

// The reply that ends a failed AUTH exchange (RFC 5034 section 4).
std::string_view sasl_refusal(auth::SaslFailure failure) {
    switch (failure) {
        case auth::SaslFailure::unknown_mechanism: return "-ERR unsupported authentication mechanism";
        case auth::SaslFailure::cancelled: return "-ERR authentication cancelled";
        case auth::SaslFailure::malformed_base64: return "-ERR cannot decode response";
        case auth::SaslFailure::too_long: return "-ERR authentication exchange line is too long";
        case auth::SaslFailure::bad_plain: return "-ERR cannot decode AUTH PLAIN response";
        case auth::SaslFailure::authzid_mismatch: return "-ERR [AUTH] authentication failed";
        case auth::SaslFailure::out_of_turn: break;
    }
    return "-ERR no authentication in progress";
}

}  // namespace

void Session::handle_user(const Command& cmd) {
    if (!tls_ok()) {
        reply(plaintext_refused);
        return count_error();
    }
    user_name_ = cmd.name;
    reply("+OK send PASS");
}

void Session::handle_pass(const Command& cmd) {
    if (!tls_ok()) {
        reply(plaintext_refused);
        return count_error();
    }
    if (user_name_.empty()) {
        reply("-ERR send USER first");
        return count_error();
    }
    verify_credentials(std::exchange(user_name_, {}), cmd.password);
}

void Session::handle_auth(const Command& cmd) {
    if (cmd.mechanism.empty()) {
        // A bare "AUTH" lists the mechanisms (the pre-RFC 5034 form Outlook uses).
        return write(tls_ok() ? "+OK\r\nPLAIN\r\nLOGIN\r\n.\r\n" : "+OK\r\n.\r\n");
    }
    if (!tls_ok()) {
        reply(plaintext_refused);
        return count_error();
    }
    on_sasl_step(sasl_.emplace(cmd.mechanism).start(cmd.initial_response));
}

void Session::on_sasl_step(auth::SaslStep step) {
    if (auto* challenge = std::get_if<auth::SaslChallenge>(&step)) {
        input_ = Input::auth_response;
        return reply("+ " + challenge->base64);
    }
    input_ = Input::command;
    sasl_.reset();
    if (auto* failure = std::get_if<auth::SaslFailure>(&step)) {
        // Not a password guess, so answered at once.
        if (*failure == auth::SaslFailure::authzid_mismatch) return auth_failed("-ERR [AUTH] authentication failed", false);
        reply(sasl_refusal(*failure));
        if (*failure != auth::SaslFailure::cancelled) count_error();  // giving up is not an error
        return;
    }
    auto& credentials = std::get<auth::Credentials>(step);
    verify_credentials(std::move(credentials.username), std::move(credentials.password));
}

// The hash check is slow on purpose, so it runs off the loop.
void Session::verify_credentials(std::string username, std::string password) {
    busy();
    struct Check {
        std::string username, password, user;
        PasswordCheck check;
    };
    auto check = std::make_shared<Check>(Check{std::move(username), std::move(password), {}, ctx_.check_password});
    conn_->loop().offload([check] { check->user = check->check(check->username, check->password); },
                          [check, weak = weak_conn()] {
                              auto conn = weak.lock();
                              if (!conn || conn->closing()) return;
                              auto* self = static_cast<Session*>(conn->handler());
                              self->on_credentials_checked(check->username, check->user);
                          });
}

void Session::on_credentials_checked(const std::string& username, const std::string& user) {
    if (user.empty()) {
        log::info("pop3 client={} user={} authentication failed", conn_->peer_ip(), username);
        return auth_failed("-ERR [AUTH] authentication failed", true);
    }
    ctx_.throttle.record_success(conn_->peer_ip());
    lock_ = ctx_.locks->try_lock(user);
    if (!lock_) {
        log::info("pop3 client={} user={} maildrop in use", conn_->peer_ip(), user);
        reply("-ERR [IN-USE] maildrop is locked by another session");
        return resume();
    }
    if (!conn_->mark_authenticated(user)) {  // README "[limits] max_connections_per_user_ip"
        lock_.reset();
        reply("-ERR [SYS/TEMP] too many connections for this user from this address");
        return resume();
    }
    load_maildrop(user);
}

// A failed login is answered late, the later the more often this IP
// failed; `slow` is false for refusals that are not password guesses.
void Session::auth_failed(std::string text, bool slow) {
    busy();
    auto delay = slow ? ctx_.throttle.record_failure(conn_->peer_ip()) : std::chrono::milliseconds(0);
    auth_delay_ = conn_->loop().start_timer(delay, [weak = weak_conn(), text = std::move(text)] {
        auto conn = weak.lock();
        if (!conn || conn->closing()) return;
        auto* self = static_cast<Session*>(conn->handler());
        self->reply(text);
        self->count_error();
        if (!conn->closing()) self->resume();
    });
}

namespace {

struct Listing {
    int64_t mailbox_id = 0;
    std::vector<MaildropMessage> messages;
};

// On a worker: the INBOX (created with the user's default mailboxes on the
// first login) and the exact wire size of each message. The size needs the
// last byte: RETR adds a line ending when the message lacks one.
Listing read_listing(store::Store& store, MessageTails& tails, const std::string& user) {
    auto inbox = store.find_mailbox(user, "INBOX");
    if (!inbox) {
        store.ensure_user(user);
        inbox = store.find_mailbox(user, "INBOX");
        if (!inbox) throw store::StoreError("no INBOX for " + user);
    }
    Listing listing;
    listing.mailbox_id = inbox->id;
    auto messages = store.list_messages(inbox->id);
    std::sort(messages.begin(), messages.end(), [](const auto& a, const auto& b) { return a.uid < b.uid; });
    listing.messages.reserve(messages.size());
    for (const auto& m : messages) {
        MaildropMessage entry;
        entry.id = m.id;
        entry.uid = m.uid;
        entry.stored_size = m.size;
        char last = '\n';
        if (auto known = tails.find(m.id)) {
            last = *known;
        } else if (m.size > 0) {
            std::string tail = store.read_range(m.id, m.size - 1, 1);
            if (!tail.empty()) last = tail.back();
            tails.remember(m.id, last);
        }
        entry.size = wire_size(m.crlf_size, m.size, last);
        entry.uidl = m.pop3_uidl;
        entry.seen = (m.flags & store::flag_seen) != 0;
        listing.messages.push_back(std::move(entry));
    }
    return listing;
}

}  // namespace

void Session::load_maildrop(const std::string& user) {
    ctx_.store.run<Listing>(
        [user, tails = ctx_.tails](store::Store& store) { return read_listing(store, *tails, user); },
        [weak = weak_conn(), user](Listing listing, std::string error) {
            auto conn = weak.lock();
            if (!conn || conn->closing()) return;
            auto* self = static_cast<Session*>(conn->handler());
            if (!error.empty()) {
                log::error("pop3 client={} user={} cannot open the maildrop: {}", conn->peer_ip(), user, error);
                self->lock_.reset();
                self->reply("-ERR [SYS/TEMP] cannot open the maildrop, try again later");
                return self->resume();
            }
            self->user_ = user;
            self->mailbox_id_ = listing.mailbox_id;
            self->maildrop_ = Maildrop(std::move(listing.messages));
            self->state_ = State::transaction;
            log::info("pop3 client={} user={} logged in, {} messages ({} octets){}", conn->peer_ip(), user,
                      self->maildrop_.count(), self->maildrop_.octets(), conn->tls_active() ? " tls" : "");
            self->reply(fmt::format("+OK maildrop has {} messages ({} octets)", self->maildrop_.count(),
                                    self->maildrop_.octets()));
            self->resume();
        });
}

}  // namespace pochta::pop3
