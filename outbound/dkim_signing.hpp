// DKIM signing of what the queue runner sends (README.md "DKIM signing"):
// each delivery attempt of a queue entry is signed afresh, on a worker
// thread, just before the entry is split over its destinations.
#pragma once

#include <string>
#include <string_view>

#include "mailauth/dkim_sign.hpp"

namespace pochta::outbound {

// The message with its DKIM-Signature field(s) in front, or "" when it is
// sent unsigned (no key for its From or envelope domain: logged). Runs on a
// worker.
std::string dkim_signed_message(mailauth::DkimSigner& signer, std::string_view queue_id, std::string_view message,
                                std::string_view envelope_from);

}  // namespace pochta::outbound
