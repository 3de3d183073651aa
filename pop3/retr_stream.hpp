// Turns a stored message, fed in chunks of any size, into the multi-line
// body of a RETR or TOP reply (RFC 1939 section 3): bare LF becomes CRLF,
// a line starting with "." gets another "." in front, the last line is
// ended, and ".\r\n" closes the reply. State carries across chunk
// boundaries, so a message can be streamed with bounded memory. For TOP,
// only the header, the blank line and the first n body lines are sent.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pochta::pop3 {

class WireEncoder {
public:
    // `body_lines`: nullopt for RETR (the whole message), n for "TOP msg n".
    explicit WireEncoder(std::optional<uint64_t> body_lines = std::nullopt) : body_lines_(body_lines) {}

    // Appends the wire form of `chunk` to `out`. Once done() is true, the
    // rest of the message is not wanted and further chunks are ignored.
    void feed(std::string_view chunk, std::string& out);
    // TOP has sent all it should; no need to read further.
    bool done() const { return done_; }
    // Ends the last line if needed and appends the terminating ".\r\n".
    void finish(std::string& out);

    // Octets sent so far without the dot-stuffing and the terminator: what
    // LIST announced as the size (for RETR, after finish()).
    uint64_t message_octets() const { return message_octets_; }

private:
    void end_line();

    std::optional<uint64_t> body_lines_;
    bool done_ = false;
    bool in_header_ = true;
    bool at_line_start_ = true;
    bool line_has_text_ = false;   // something other than CR on the current line
    char last_ = '\n';             // last byte of the message seen
    bool any_ = false;             // the message had at least one byte
    uint64_t body_lines_sent_ = 0;
    uint64_t message_octets_ = 0;
};

}  // namespace pochta::pop3
