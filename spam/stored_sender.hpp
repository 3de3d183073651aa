// The sender of a message already in the store, for training (README.md,
// "Spam"): the fields pochta put on top when it accepted the message (its
// Received field with the client's address, its Authentication-Results
// with the verified domains) and the From author.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "spam/reputation.hpp"

namespace pochta::spam {

// `message` is the stored message (at least its header); `author` the From
// address the tokenizer found. Only fields above pochta's own Received
// are believed: anything below came from the sender.
SenderFacts stored_sender(std::string_view message, const std::string& author);

// The domains an Authentication-Results value says passed: DKIM's header.d
// (or header.i's domain) and SPF's smtp.mailfrom domain. Bounded by the
// value's length; malformed parts are skipped.
std::vector<std::string> passed_domains(std::string_view auth_results);

}  // namespace pochta::spam
