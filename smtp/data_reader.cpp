#include "smtp/data_reader.hpp"

namespace pochta::smtp {

void DataReader::append(std::string_view bytes) {
    if (overflowed_) return;
    if (size_ + bytes.size() > max_size_) {
        overflowed_ = true;
        message_.clear();
        message_.shrink_to_fit();
        return;
    }
    message_.append(bytes);
    size_ += bytes.size();
}

size_t DataReader::feed(std::string_view input) {
    size_t pos = 0;
    while (pos < input.size() && !done_) {
        if (at_line_start_ && input[pos] == '.') {
            // Need the next two bytes to tell ".\r\n" (end) from a stuffed dot.
            if (input.size() - pos < 3) {
                std::string_view rest = input.substr(pos);
                // ".x" or ".\rx" can be decided already; otherwise wait.
                bool undecided = rest.size() == 1 || (rest.size() == 2 && rest[1] == '\r');
                if (undecided) return pos;
            }
            if (input.compare(pos, 3, ".\r\n") == 0) {
                done_ = true;
                return pos + 3;
            }
            pos += 1;  // a stuffed dot: drop it, keep the rest of the line
            at_line_start_ = false;
            last_was_cr_ = false;
            continue;
        }
        // Copy up to and including the next LF.
        size_t lf = input.find('\n', pos);
        size_t end = lf == std::string_view::npos ? input.size() : lf + 1;
        std::string_view chunk = input.substr(pos, end - pos);
        append(chunk);
        if (lf != std::string_view::npos) {
            bool cr_before = chunk.size() >= 2 ? chunk[chunk.size() - 2] == '\r' : last_was_cr_;
            at_line_start_ = cr_before;  // only CRLF starts a line that may end the data
            last_was_cr_ = false;
        } else {
            at_line_start_ = false;
            last_was_cr_ = chunk.back() == '\r';
        }
        pos = end;
    }
    return pos;
}

}  // namespace pochta::smtp
