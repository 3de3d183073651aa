// SMTP replies as the outbound client reads them (RFC 5321 4.2): one or
// more "ddd-text" lines ended by "ddd text". Bounded, since the remote is
// untrusted: a reply too long or malformed ends the session.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace pochta::outbound {

struct Reply {
    int code = 0;
    std::vector<std::string> lines;   // the text after "ddd-" / "ddd ", control characters replaced

    int kind() const { return code / 100; }   // 2, 3, 4 or 5
    // "550 5.1.1 no such user"; the lines of a multi-line reply joined by
    // spaces, for logs and bounces.
    std::string text() const;
    // The RFC 3463 status at the start of the first line ("5.1.1"), or "".
    std::string enhanced() const;
};

// "5.1.1" when `text` starts with a well-formed enhanced status code whose
// class is 2, 4 or 5 (RFC 3463 section 2), else "".
std::string parse_enhanced_status(std::string_view text);

class ReplyReader {
public:
    enum class Result { incomplete, complete, error };

    ReplyReader(size_t max_line = 2048, size_t max_lines = 100) : max_line_(max_line), max_lines_(max_lines) {}

    // Takes whole lines from `input`, setting `consumed`. `complete`: the
    // reply is in reply() (take it before the next read). `error`: error()
    // says why; the session must end.
    Result read(std::string_view input, size_t& consumed);

    Reply take() {
        Reply r = std::move(reply_);
        reply_ = Reply{};
        return r;
    }
    const std::string& error() const { return error_; }

private:
    Result fail(std::string why);
    Result add_line(std::string_view line);

    size_t max_line_, max_lines_;
    Reply reply_;
    std::string error_;
};

}  // namespace pochta::outbound
