// Bounds of a POP3 session, shared by its source files.
#pragma once

#include <cstddef>

namespace pochta::pop3 {

// A SASL response line (base64 of credentials): far longer than any real
// one, short enough to bound the buffer (the same limit as SMTP AUTH).
constexpr size_t max_sasl_line = 12288;
// Errors (unknown commands, bad arguments, long lines, failed logins) before
// the session is dropped.
constexpr unsigned max_errors = 20;
// Pipelined commands handled in one go stop at this much queued output;
// the connection's own bound (lower) then holds the rest back.
constexpr size_t max_queued_output = 1024 * 1024;
// Replies to pipelined commands are sent together up to this size.
constexpr size_t batch_output = 64 * 1024;
// RETR/TOP read the message in pieces of this size, and read the next one
// only while less than transfer_high_water is queued: a 50 MiB message costs
// a few hundred KiB of memory.
constexpr size_t transfer_chunk = 64 * 1024;
constexpr size_t transfer_high_water = 256 * 1024;
// Read-ahead of small messages: at most this many, of this many octets.
constexpr size_t read_ahead_messages = 64;
constexpr size_t read_ahead_octets = 512 * 1024;

}  // namespace pochta::pop3
