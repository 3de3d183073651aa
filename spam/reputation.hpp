// Sender reputation from the recipient's own history, as mox does
// (README.md, "Spam"): what the user did before with mail from this
// address, this verified domain and this network. A sender the user wrote
// to or kept mail from is trusted; one whose mail went to Junk is not.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "spam/verdict.hpp"
#include "store/spam_data.hpp"

namespace pochta::spam {

// What is known of the sender of one message.
struct SenderFacts {
    std::string address;                        // the From author (lowercase), else MAIL FROM; "" when none
    std::vector<std::string> verified_domains;  // passed SPF (MAIL FROM) or DKIM (d=), lowercase
    std::string client_ip;
    // The address's domain is among the verified ones, so its good history
    // is believed (a bad history always is: nobody forges a bad name).
    bool address_verified() const;
};

// "192.0.2.0/24" or "2001:db8:1:2::/64"; "" when `ip` is not an address.
std::string network_of(std::string_view ip);

// The history keys of a message: its address, each verified domain, its network.
std::vector<store::SenderKey> sender_keys(const SenderFacts& facts);

// The signals the history gives (`history` in the order of sender_keys()).
std::vector<Signal> reputation_signals(const SenderFacts& facts, const std::vector<store::SenderHistory>& history);

}  // namespace pochta::spam
