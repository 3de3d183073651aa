// Assembles one ManageSieve command off the wire (RFC 5804 section 4): its
// line, and when the line ends in a literal's "{N+}" (or "{N}": clients
// never wait for a continuation in ManageSieve), those N octets and the
// line that continues after them. Bounded: a line is at most `max_line`
// octets, a literal at most `max_literal`, a command has at most
// max_literals literals. A literal over its bound is read and dropped, so
// the session can refuse the command and go on (QUOTA/MAXSIZE for a
// script); a line over its bound, or a literal too large to count, ends
// the session.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace pochta::managesieve {

constexpr size_t max_literals = 2;

class CommandFramer {
public:
    enum class Status {
        incomplete,         // feed more
        complete,           // take() the command
        literal_too_large,  // a whole command was read, a literal of it dropped
        too_long,           // a line over max_line or a literal over 4 GiB: close
    };

    void set_limits(size_t max_line, size_t max_literal) {
        max_line_ = max_line;
        max_literal_ = max_literal;
    }
    // Takes octets of `data` until the command is over (or broken); returns
    // how many it took. Nothing more is taken until take() or reset().
    size_t feed(std::string_view data);
    Status status() const { return status_; }
    // The command's text (see managesieve/command.hpp), and a fresh start.
    std::string take();
    // Forgets everything (STARTTLS drops what was sent before it).
    void reset();

private:
    void end_of_line();
    size_t feed_literal(std::string_view data);

    size_t max_line_ = 1024;
    size_t max_literal_ = 1024;
    Status status_ = Status::incomplete;
    std::string text_;
    std::string line_;           // the line being read, without its line ending
    uint64_t literal_left_ = 0;  // octets of a literal still to come
    size_t literals_ = 0;
    bool dropping_ = false;      // a literal of this command was over max_literal
};

}  // namespace pochta::managesieve
