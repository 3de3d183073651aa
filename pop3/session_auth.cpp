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
        if (*failure == auth::SaslFailure::authzid_mismatch) {
            session::Login::log_failure("pop3", conn_->peer_ip(), {}, "authzid");
            reply("-ERR [AUTH] authentication failed");
            return count_error();
        }
        reply(sasl_refusal(*failure));
        if (*failure != auth::SaslFailure::cancelled) count_error();  // giving up is not an error
        return;
    }
    auto& credentials = std::get<auth::Credentials>(step);
    verify_credentials(std::move(credentials.username), std::move(credentials.password));
}

// The password check runs on the hash pool; its answer comes after the
// throttle's delay (session::Login).
void Session::verify_credentials(std::string username, std::string password) {
    busy();
    login_.check(*conn_, session::LoginServices{ctx_.check_password, ctx_.throttle, *ctx_.hash_pool},
                 std::move(username), std::move(password),
                 [this](const session::Login::Outcome& outcome) { on_login(outcome); });
}

void Session::on_login(const session::Login::Outcome& outcome) {
    using Result = session::Login::Result;
    if (outcome.result == Result::unavailable) {
        reply("-ERR [SYS/TEMP] too many logins under way, try again later");
        return resume();
    }
    if (outcome.result == Result::too_many_connections) {
        reply("-ERR [SYS/TEMP] too many connections for this user from this address");
        return resume();
    }
    if (outcome.result != Result::accepted) {
        reply("-ERR [AUTH] authentication failed");
        count_error();
        if (!conn_->closing()) resume();
        return;
    }
    lock_ = ctx_.locks->try_lock(outcome.user);
    if (!lock_) {
        log::info("pop3 client={} user={} maildrop in use", conn_->peer_ip(), outcome.user);
        reply("-ERR [IN-USE] maildrop is locked by another session");
        return resume();
    }
    load_maildrop(outcome.user);
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
            try {
                std::string tail = store.read_range(m.id, m.size - 1, 1);
                if (!tail.empty()) last = tail.back();
                tails.remember(m.id, last);
            } catch (const store::StoreError& e) {
                // One unreadable message does not close the maildrop: it is
                // listed, and RETR/TOP of it alone get -ERR [SYS/PERM].
                if (e.kind() != store::ErrorKind::unavailable) throw;
                log::error("pop3 user={} message uid={} is unavailable: {}", user, m.uid, e.what());
            }
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
        [session = ref(), user](Listing listing, store::Error error) {
            Session* self = session.get();
            if (!self) return;
            if (!error.empty()) {
                log::error("pop3 client={} user={} cannot open the maildrop: {}", self->conn_->peer_ip(), user, error);
                self->lock_.reset();
                self->reply("-ERR [SYS/TEMP] cannot open the maildrop, try again later");
                return self->resume();
            }
            self->user_ = user;
            self->mailbox_id_ = listing.mailbox_id;
            self->maildrop_ = Maildrop(std::move(listing.messages));
            self->state_ = State::transaction;
            log::info("pop3 client={} user={} logged in, {} messages ({} octets){}", self->conn_->peer_ip(), user,
                      self->maildrop_.count(), self->maildrop_.octets(), self->conn_->tls_active() ? " tls" : "");
            self->reply(fmt::format("+OK maildrop has {} messages ({} octets)", self->maildrop_.count(),
                                    self->maildrop_.octets()));
            self->resume();
        },
        user);
}

}  // namespace pochta::pop3
