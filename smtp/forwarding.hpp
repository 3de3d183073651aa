// Forwarding with SRS in the SMTP session (README.md, "Forwarding with
// SRS"): the envelope sender of the copy an alias sends to other domains,
// and RCPT TO an SRS address at our SRS domain (a bounce coming back),
// which goes on to the address it stands for. The address arithmetic is
// mailauth/srs.hpp; this file holds the policy.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/address/address.hpp"
#include "common/config/config.hpp"

namespace pochta::smtp {

// What RCPT TO an SRS address at our SRS domain comes to.
struct SrsRecipient {
    std::string refusal;   // the reply when refused, else ""
    std::string original;  // where the mail goes on to, when accepted
};

class Forwarding {
public:
    // `secrets`: the lines of [srs] secret_file, the first one signing.
    Forwarding(const Config& config, std::vector<std::string> secrets);

    // The envelope sender for the queued copy to remote recipients; nullopt
    // keeps `from`: the null sender, a sender of a local domain, or one
    // whose SRS form would exceed the length limits.
    std::optional<std::string> relay_sender(std::string_view from) const;

    // nullopt when `rcpt` is not an SRS address at the SRS domain (the
    // usual recipient rules apply); else the reversal or its refusal.
    std::optional<SrsRecipient> bounce_recipient(const Address& rcpt) const;

    // For a bounce pochta itself makes: where mail to `address` goes when
    // it is a valid SRS address at the SRS domain (a forwarded copy that
    // failed), else nullopt.
    std::optional<std::string> bounce_target(std::string_view address) const;

private:
    const Config& config_;
    std::vector<std::string> secrets_;
};

}  // namespace pochta::smtp
