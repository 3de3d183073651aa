// The checks on arrival inside an SMTP session (README.md, "Checks on
// arrival"): only on the MX listener, only when [checks] enabled. The
// session's part is in smtp/arrival_checks.cpp (Session::start_checks,
// check_arrival, on_arrival_report); these are its pure helpers.
#pragma once

#include <string>
#include <vector>

#include "common/config/config.hpp"
#include "mailauth/arrival_check_policy.hpp"
#include "store/content_edit.hpp"

namespace pochta::smtp {

mailauth::ArrivalPolicy arrival_policy(const Config::Checks& checks);

// The changes to the stored message: the Authentication-Results field at
// `field_offset` (below Return-Path), and each claimed field (offsets in
// the message's header, which starts at `header_offset`) renamed.
std::vector<store::ContentEdit> arrival_edits(size_t field_offset, std::string field, size_t header_offset,
                                              const std::vector<size_t>& claimed);

// "spf=pass dkim=none dmarc=fail" for the log line.
std::string arrival_summary(const mailauth::ArrivalFacts& facts);

}  // namespace pochta::smtp
