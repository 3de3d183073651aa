#include "pop3/retr_stream.hpp"

namespace pochta::pop3 {

// Called after the LF of a line went out: counts header end and body lines.
void WireEncoder::end_line() {
    bool empty_line = !line_has_text_;
    at_line_start_ = true;
    line_has_text_ = false;
    if (!body_lines_) return;
    if (in_header_) {
        if (empty_line) {
            in_header_ = false;
            if (*body_lines_ == 0) done_ = true;
        }
        return;
    }
    if (++body_lines_sent_ >= *body_lines_) done_ = true;
}

void WireEncoder::feed(std::string_view chunk, std::string& out) {
    if (done_ || chunk.empty()) return;
    out.reserve(out.size() + chunk.size() + chunk.size() / 16 + 8);
    size_t before = out.size();
    uint64_t stuffed = 0;
    size_t i = 0;
    while (i < chunk.size() && !done_) {
        if (chunk[i] == '\n') {
            if (last_ != '\r') out += '\r';  // a bare LF is sent as CRLF
            out += '\n';
            last_ = '\n';
            any_ = true;
            i++;
            end_line();
            continue;
        }
        if (at_line_start_) {
            at_line_start_ = false;
            if (chunk[i] == '.') {
                out += '.';  // dot-stuffing: not part of the message size
                stuffed++;
            }
        }
        // The rest of the line up to its LF goes out as it is.
        size_t end = chunk.find('\n', i);
        if (end == std::string_view::npos) end = chunk.size();
        std::string_view run = chunk.substr(i, end - i);
        out.append(run);
        if (!line_has_text_ && run.find_first_not_of('\r') != std::string_view::npos) line_has_text_ = true;
        last_ = run.back();
        any_ = true;
        i = end;
    }
    message_octets_ += out.size() - before - stuffed;
}

void WireEncoder::finish(std::string& out) {
    // A message (or TOP's header without a blank line) whose last line has
    // no ending: end it, so the terminator is on a line of its own.
    if (any_ && last_ != '\n') {
        out += "\r\n";
        message_octets_ += 2;
    }
    out += ".\r\n";
    done_ = true;
}

}  // namespace pochta::pop3
