// Reads the DATA section of an SMTP transaction: removes dot-stuffing and
// finds the end, which is CRLF "." CRLF and nothing else. A dot line ended
// by a bare LF or CR is data (the SMTP smuggling defence): the message keeps
// those bytes and the transaction does not end there.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

namespace pochta::smtp {

class DataReader {
public:
    // Bytes beyond `max_size` are read and dropped; overflowed() then says so.
    explicit DataReader(size_t max_size) : max_size_(max_size) {}

    // Consumes bytes from `input` and returns how many were used. Stops right
    // after the end marker (done() is then true), so bytes that follow (a
    // pipelined next command) stay with the caller. Consumes everything it
    // is given otherwise, except for at most a few bytes at a line start
    // that cannot be judged yet.
    size_t feed(std::string_view input);

    bool done() const { return done_; }
    bool overflowed() const { return overflowed_; }
    // The message without dot-stuffing and without the end marker: what
    // was read since the last take() (all of it when take() is not used).
    std::string& message() { return message_; }
    // Hands over what was read so far, so a large message need not stay in
    // memory (smtp/message_body.hpp); the size limit counts every byte.
    std::string take() { return std::exchange(message_, {}); }

private:
    void append(std::string_view bytes);

    size_t max_size_;
    std::string message_;
    size_t size_ = 0;  // of the whole message, taken or not
    bool at_line_start_ = true;  // the previous bytes ended with CRLF (or nothing yet)
    bool last_was_cr_ = false;   // the previous byte was CR
    bool done_ = false;
    bool overflowed_ = false;
};

}  // namespace pochta::smtp
