#include "smtp/forwarding.hpp"

#include <fmt/format.h>

#include <chrono>

#include "common/util/strings.hpp"
#include "mailauth/srs.hpp"

namespace pochta::smtp {
namespace {

std::string_view domain_of(std::string_view address) {
    size_t at = address.rfind('@');
    return at == std::string_view::npos ? std::string_view() : address.substr(at + 1);
}

// A forged hash is a policy refusal (5.7.1); an address that is not one,
// or no longer one, names no mailbox (5.1.1).
std::string srs_refusal(const Address& rcpt, mailauth::SrsError error) {
    const char* code = error == mailauth::SrsError::bad_hash ? "550 5.7.1" : "550 5.1.1";
    return fmt::format("{} <{}>: Recipient address rejected: {}", code, rcpt.str(), mailauth::srs_error_text(error));
}

int64_t unix_time_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace

Forwarding::Forwarding(const Config& config, std::vector<std::string> secrets)
    : config_(config), secrets_(std::move(secrets)) {}

std::optional<std::string> Forwarding::relay_sender(std::string_view from) const {
    if (from.empty() || config_.is_local_domain(domain_of(from))) return std::nullopt;
    std::string rewritten = mailauth::srs_forward(from, config_.srs.domain, secrets_.front(), unix_time_now());
    if (rewritten.empty()) return std::nullopt;
    return rewritten;
}

std::optional<SrsRecipient> Forwarding::bounce_recipient(const Address& rcpt) const {
    if (rcpt.domain_literal || !iequals(rcpt.domain, config_.srs.domain) || !mailauth::is_srs_local_part(rcpt.local))
        return std::nullopt;
    auto reversal = mailauth::srs_reverse(rcpt.local, secrets_, unix_time_now(), config_.srs.max_age_days);
    // The original must be an address SMTP can carry on.
    if (reversal.error == mailauth::SrsError::none && !parse_address(reversal.address))
        reversal.error = mailauth::SrsError::malformed;
    if (reversal.error != mailauth::SrsError::none) return SrsRecipient{srs_refusal(rcpt, reversal.error), {}};
    return SrsRecipient{{}, std::move(reversal.address)};
}

std::optional<std::string> Forwarding::bounce_target(std::string_view address) const {
    auto parsed = parse_address(address);
    auto bounce = parsed ? bounce_recipient(*parsed) : std::nullopt;
    if (!bounce || !bounce->refusal.empty()) return std::nullopt;
    return bounce->original;
}

}  // namespace pochta::smtp
