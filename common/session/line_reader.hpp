// The bounded line reader every line protocol uses (README.md, "Session
// plumbing"): a line is at most `limit` octets with its line ending; a
// longer one is reported once, as soon as it is known, and the rest of it
// is dropped as it arrives, so a client can never make the server hold more
// than the limit. A line ends at LF; a CR before it is removed too.
//
// What a protocol reads besides lines goes around the reader: IMAP feeds
// commands with their literals to its own parser, SMTP pours DATA and BDAT
// into a sink (pour() below), and both come back to lines after.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "common/net/connection.hpp"

namespace pochta::session {

struct Line {
    enum class Kind { none, line, too_long };
    Kind kind = Kind::none;  // none: no complete line yet
    std::string text;        // for Kind::line, without its line ending
};

class LineReader {
public:
    // Takes the next line off `in`.
    Line next(net::InputBuffer& in, size_t limit);
    // Drops what is left of an overlong line; true once it is gone (or
    // there was none). next() does this first; a protocol that reads other
    // things than lines calls it before them.
    bool skip_rest(net::InputBuffer& in);
    // Forgets an overlong line in progress (STARTTLS drops buffered input).
    void reset() { skipping_ = false; }

private:
    bool skipping_ = false;
};

// Raw input that is not lines: a Sink has `size_t feed(std::string_view)`
// (the octets it took) and `bool done() const`. Feeds what is buffered;
// true once the sink has all it wants.
template <typename Sink>
bool pour(net::InputBuffer& in, Sink& sink) {
    if (!in.empty()) in.consume(sink.feed(in.view()));
    return sink.done();
}

// A sink for a known number of octets (SMTP BDAT chunks): each piece goes
// to `take` as it arrives.
class CountedBytes {
public:
    CountedBytes(uint64_t size, std::function<void(std::string_view)> take) : left_(size), take_(std::move(take)) {}
    size_t feed(std::string_view data);
    bool done() const { return left_ == 0; }

private:
    uint64_t left_;
    std::function<void(std::string_view)> take_;
};

}  // namespace pochta::session
