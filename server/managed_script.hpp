// The Sieve script `pochta vacation` and `pochta forward` write for a user
// (README.md "Vacation and forwarding"), made from the settings the store
// keeps: the vacation reply (until a date), the forwarding, and an include
// of the script the user had active before, which keeps filtering the mail
// that stays.
#pragma once

#include <string>
#include <string_view>

#include "store/vacation_data.hpp"

namespace pochta::cli {

// Its name among the user's scripts.
constexpr std::string_view managed_script_name = "pochta-managed";

// The script's source; it compiles for any settings whose addresses are
// valid and whose texts hold no NUL.
std::string managed_script(const store::ManagedSieve& settings);

}  // namespace pochta::cli
