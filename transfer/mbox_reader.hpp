// Reads an mbox file one message at a time (README.md, "Import and export"):
// messages start at "From " lines; ">From " quoting (mboxrd) loses one '>';
// the Status, X-Status and X-Keywords headers that Dovecot, mutt and UW
// IMAP keep become flags and keywords and are dropped, as are their
// X-UID/X-IMAP/X-IMAPbase bookkeeping headers. Memory is bounded by one
// buffer plus one message (at most max_message bytes; a longer one is
// reported and skipped), however large the file.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace pochta::transfer {

struct MboxMessage {
    std::string data;
    uint32_t flags = 0;                  // store::Flag bits
    std::vector<std::string> keywords;
    int64_t internal_date = 0;           // from the "From " line; 0 when it has none
    uint64_t offset = 0;                 // where its "From " line starts in the file
    uint64_t end = 0;                    // where the next message starts: the place to resume
    bool too_large = false;              // data is cut: the message is to be skipped
};

class MboxReader {
public:
    // Fills up to `size` bytes of `buffer`; returns 0 at the end of the input.
    using Read = std::function<size_t(char* buffer, size_t size)>;

    // `offset` is where `read` starts in the file (a resumed import), for
    // the offsets reported.
    MboxReader(Read read, size_t max_message, uint64_t offset = 0);

    // The next message; false at the end (or when the input is not an mbox:
    // then error() says so).
    bool next(MboxMessage& out);
    const std::string& error() const { return error_; }

private:
    // The next line (with its '\n') or a piece of one longer than the
    // buffer; empty at the end. `line_start` says whether it begins a line.
    std::string_view next_piece(bool& line_start);
    void add_piece(MboxMessage& out, std::string_view piece, bool line_start);
    void finish(MboxMessage& out);

    Read read_;
    size_t max_message_;
    std::string buffer_;
    size_t begin_ = 0;
    size_t end_ = 0;
    bool eof_ = false;
    bool at_line_start_ = true;
    uint64_t offset_;                    // of buffer_[begin_] in the file
    // The "From " line that ended the previous message, for the next one.
    bool have_from_ = false;
    uint64_t from_offset_ = 0;
    int64_t from_date_ = 0;
    bool in_headers_ = true;
    bool dropping_header_ = false;       // inside a dropped header's folded lines
    std::string error_;
};

// The date of a "From " line ("From sender Tue Dec  8 00:27:32 2026",
// optionally with a zone after the time or the year), unix seconds; 0 when
// it has none.
int64_t mbox_from_date(std::string_view line);

}  // namespace pochta::transfer
