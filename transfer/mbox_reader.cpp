#include "transfer/mbox_reader.hpp"

#include <algorithm>
#include <cstring>
#include <ctime>

#include "common/util/strings.hpp"
#include "store/keywords.hpp"
#include "store/store.hpp"

namespace pochta::transfer {

namespace {

constexpr size_t buffer_size = 256 * 1024;

constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

int month_index(std::string_view word) {
    for (int i = 0; i < 12; ++i)
        if (word == months[i]) return i;
    return -1;
}

// "hh:mm:ss" (or "hh:mm")
bool parse_time(std::string_view word, tm& out) {
    auto parts = split(word, ':');
    if (parts.size() < 2 || parts.size() > 3) return false;
    auto h = parse_uint(parts[0]);
    auto m = parse_uint(parts[1]);
    auto s = parts.size() == 3 ? parse_uint(parts[2]) : std::optional<uint64_t>(0);
    if (!h || !m || !s || *h > 23 || *m > 59 || *s > 60) return false;
    out.tm_hour = static_cast<int>(*h);
    out.tm_min = static_cast<int>(*m);
    out.tm_sec = static_cast<int>(*s);
    return true;
}

bool is_from_line(std::string_view piece) { return piece.substr(0, 5) == "From "; }

// Headers that are mailbox bookkeeping, not part of the message.
bool is_bookkeeping_header(std::string_view line) {
    for (std::string_view name : {"status:", "x-status:", "x-keywords:", "x-uid:", "x-imap:", "x-imapbase:"})
        if (istarts_with(line, name)) return true;
    return false;
}

void read_status(std::string_view value, bool extended, MboxMessage& out) {
    for (char c : value) {
        if (!extended && c == 'R') out.flags |= store::flag_seen;
        if (extended && c == 'A') out.flags |= store::flag_answered;
        if (extended && c == 'F') out.flags |= store::flag_flagged;
        if (extended && c == 'T') out.flags |= store::flag_draft;
        if (extended && c == 'D') out.flags |= store::flag_deleted;
    }
}

void read_keywords(std::string_view value, MboxMessage& out) {
    std::string words(value);
    for (char& c : words)
        if (c == ',' || c == '\t' || c == '\r' || c == '\n') c = ' ';
    for (auto word : split_words(words))
        if (out.keywords.size() < store::max_keywords_per_message) out.keywords.emplace_back(word);
}

void read_bookkeeping(std::string_view line, MboxMessage& out) {
    const auto colon = line.find(':');
    const std::string_view value = line.substr(colon + 1);
    if (istarts_with(line, "status:")) read_status(value, false, out);
    if (istarts_with(line, "x-status:")) read_status(value, true, out);
    if (istarts_with(line, "x-keywords:")) read_keywords(value, out);
}

}  // namespace

int64_t mbox_from_date(std::string_view line) {
    const auto words = split_words(line.substr(0, std::min<size_t>(line.size(), 1024)));
    for (size_t m = 1; m + 2 < words.size(); ++m) {
        const int month = month_index(words[m]);
        if (month < 0) continue;
        tm parts{};
        parts.tm_mon = month;
        auto day = parse_uint(words[m + 1]);
        if (!day || *day < 1 || *day > 31 || !parse_time(words[m + 2], parts)) continue;
        parts.tm_mday = static_cast<int>(*day);
        for (size_t y = m + 3; y < words.size(); ++y) {
            auto year = parse_uint(trim(words[y]));
            if (year && *year >= 1970 && *year < 10000) {
                parts.tm_year = static_cast<int>(*year) - 1900;
                return static_cast<int64_t>(timegm(&parts));
            }
        }
    }
    return 0;
}

MboxReader::MboxReader(Read read, size_t max_message, uint64_t offset)
    : read_(std::move(read)), max_message_(max_message), buffer_(buffer_size, '\0'), offset_(offset) {}

std::string_view MboxReader::next_piece(bool& line_start) {
    line_start = at_line_start_;
    for (;;) {
        const char* from = buffer_.data() + begin_;
        const void* newline = std::memchr(from, '\n', end_ - begin_);
        size_t length = 0;
        if (newline) {
            length = static_cast<size_t>(static_cast<const char*>(newline) - from) + 1;
        } else if (eof_ || (begin_ == 0 && end_ == buffer_.size())) {
            length = end_ - begin_;  // the last line without '\n', or a piece of a long line
        } else {
            // Move what is left to the front and read more.
            std::memmove(buffer_.data(), from, end_ - begin_);
            end_ -= begin_;
            begin_ = 0;
            const size_t n = read_(buffer_.data() + end_, buffer_.size() - end_);
            if (n == 0) eof_ = true;
            end_ += n;
            continue;
        }
        std::string_view piece(from, length);
        begin_ += length;
        offset_ += length;
        at_line_start_ = !piece.empty() && piece.back() == '\n';
        return piece;
    }
}

void MboxReader::add_piece(MboxMessage& out, std::string_view piece, bool line_start) {
    if (line_start && in_headers_) {
        if (piece == "\n" || piece == "\r\n") {
            in_headers_ = false;
            dropping_header_ = false;
        } else if (dropping_header_ && (piece[0] == ' ' || piece[0] == '\t')) {
            return;  // a folded line of a dropped header
        } else {
            dropping_header_ = is_bookkeeping_header(piece);
            if (dropping_header_) {
                read_bookkeeping(piece, out);
                return;
            }
        }
    } else if (!line_start && dropping_header_) {
        return;
    }
    if (line_start && !in_headers_ && piece[0] == '>') {
        const auto quoted = piece.find_first_not_of('>');
        if (quoted != std::string_view::npos && is_from_line(piece.substr(quoted))) piece.remove_prefix(1);
    }
    if (out.data.size() + piece.size() > max_message_) {
        out.too_large = true;
        out.data.clear();
        out.data.shrink_to_fit();
    }
    if (!out.too_large) out.data.append(piece);
}

// The writer's blank line before the next "From " belongs to the separator.
void MboxReader::finish(MboxMessage& out) {
    out.end = offset_;
    auto& d = out.data;
    if (d.size() >= 2 && d.compare(d.size() - 2, 2, "\n\n") == 0) d.pop_back();
    else if (d.size() >= 4 && d.compare(d.size() - 4, 4, "\r\n\r\n") == 0) d.resize(d.size() - 2);
}

bool MboxReader::next(MboxMessage& out) {
    out = MboxMessage{};
    if (!have_from_) {
        // The very first line must be a "From " line, or this is no mbox.
        bool line_start = false;
        const uint64_t at = offset_;
        std::string_view piece = next_piece(line_start);
        if (piece.empty()) return false;
        if (!is_from_line(piece)) {
            error_ = "not an mbox (no \"From \" line at the start)";
            return false;
        }
        from_offset_ = at;
        from_date_ = mbox_from_date(piece);
        while (!at_line_start_ && !next_piece(line_start).empty()) {}  // the rest of a long From line
        have_from_ = true;
    }
    if (from_offset_ == UINT64_MAX) return false;  // the end was reached before
    out.offset = from_offset_;
    out.internal_date = from_date_;
    in_headers_ = true;
    dropping_header_ = false;
    for (;;) {
        bool line_start = false;
        const uint64_t at = offset_;
        const std::string_view piece = next_piece(line_start);
        if (piece.empty()) {
            from_offset_ = UINT64_MAX;
            finish(out);
            return true;
        }
        if (line_start && is_from_line(piece)) {
            finish(out);
            out.end = at;
            from_offset_ = at;
            from_date_ = mbox_from_date(piece);
            while (!at_line_start_ && !next_piece(line_start).empty()) {}
            return true;
        }
        add_piece(out, piece, line_start);
    }
}

}  // namespace pochta::transfer
