// Logging in: AUTHENTICATE with PLAIN or LOGIN (RFC 5804 section 2.1),
// only over TLS, through the shared login check; UNAUTHENTICATE (2.14).
#include <fmt/format.h>

#include "common/util/log.hpp"
#include "managesieve/response.hpp"
#include "managesieve/session.hpp"

namespace pochta::managesieve {
namespace {

std::string_view sasl_refusal(auth::SaslFailure failure) {
    switch (failure) {
        case auth::SaslFailure::unknown_mechanism: return "unsupported authentication mechanism";
        case auth::SaslFailure::cancelled: return "authentication cancelled";
        case auth::SaslFailure::malformed_base64: return "cannot decode response";
        case auth::SaslFailure::too_long: return "authentication response is too long";
        case auth::SaslFailure::bad_plain: return "cannot decode PLAIN response";
        case auth::SaslFailure::authzid_mismatch: return "authentication failed";
        case auth::SaslFailure::out_of_turn: break;
    }
    return "no authentication in progress";
}

}  // namespace

void Session::handle_authenticate(const Command& cmd) {
    if (!tls_ok()) {
        reply("NO", "ENCRYPT-NEEDED", "use STARTTLS before logging in");
        return count_error();
    }
    // A string that is there but empty is an empty response ("=" to the
    // exchange); a missing one is no initial response.
    std::string initial;
    if (cmd.args.size() == 2) initial = cmd.args[1].value.empty() ? "=" : cmd.args[1].value;
    on_sasl_step(sasl_.emplace(cmd.args[0].value).start(initial));
}

void Session::on_sasl_response(std::string_view text) {
    auto response = parse_sasl_response(text);
    if (!response) {
        input_ = Input::command;
        sasl_.reset();
        reply("NO", "", "a SASL response is a string");
        return count_error();
    }
    on_sasl_step(sasl_->step(*response));
}

void Session::on_sasl_step(auth::SaslStep step) {
    if (auto* challenge = std::get_if<auth::SaslChallenge>(&step)) {
        input_ = Input::auth_response;
        return write(string_value(challenge->base64) + "\r\n");
    }
    input_ = Input::command;
    sasl_.reset();
    if (auto* failure = std::get_if<auth::SaslFailure>(&step)) {
        if (*failure == auth::SaslFailure::authzid_mismatch)
            session::Login::log_failure("managesieve", conn_->peer_ip(), {}, "authzid");
        reply("NO", "", sasl_refusal(*failure));
        if (*failure != auth::SaslFailure::cancelled) count_error();  // giving up is not an error
        return;
    }
    auto& credentials = std::get<auth::Credentials>(step);
    busy();
    login_.check(*conn_, session::LoginServices{ctx_.check_password, ctx_.throttle, *ctx_.hash_pool},
                 std::move(credentials.username), std::move(credentials.password),
                 [this](const session::Login::Outcome& outcome) { on_login(outcome); });
}

void Session::on_login(const session::Login::Outcome& outcome) {
    using Result = session::Login::Result;
    if (outcome.result == Result::unavailable) {
        reply("NO", "TRYLATER", "too many logins under way, try again later");
        return resume();
    }
    if (outcome.result == Result::too_many_connections) {
        reply("NO", "TRYLATER", "too many connections for this user from this address");
        return resume();
    }
    if (outcome.result != Result::accepted) {
        reply("NO", "", "authentication failed");
        count_error();
        if (!conn_->closing()) resume();
        return;
    }
    user_ = outcome.user;
    apply_limits();
    log::info("managesieve client={} user={} logged in{}", conn_->peer_ip(), user_,
              conn_->tls_active() ? " tls" : "");
    reply("OK", "", "logged in");
    resume();
}

void Session::handle_unauthenticate() {
    log::info("managesieve client={} user={} unauthenticated", conn_->peer_ip(), user_);
    user_.clear();
    apply_limits();
    reply("OK", "", "unauthenticated");
}

}  // namespace pochta::managesieve
