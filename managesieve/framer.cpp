#include "managesieve/framer.hpp"

#include <algorithm>

#include "common/util/strings.hpp"

namespace pochta::managesieve {
namespace {

// The length a line's trailing "{N}" or "{N+}" announces; nullopt for a
// line without one. A length over 4 GiB counts as UINT64_MAX.
std::optional<uint64_t> announced_literal(std::string_view line) {
    if (line.empty() || line.back() != '}') return std::nullopt;
    line.remove_suffix(1);
    if (!line.empty() && line.back() == '+') line.remove_suffix(1);
    size_t digits = 0;
    while (digits < line.size() && line[line.size() - 1 - digits] >= '0' && line[line.size() - 1 - digits] <= '9')
        digits++;
    if (digits == 0 || digits == line.size() || line[line.size() - 1 - digits] != '{') return std::nullopt;
    auto length = digits <= 10 ? parse_uint(line.substr(line.size() - digits)) : std::nullopt;
    if (!length || *length > UINT32_MAX) return UINT64_MAX;
    return length;
}

}  // namespace

size_t CommandFramer::feed(std::string_view data) {
    size_t taken = 0;
    while (taken < data.size() && status_ == Status::incomplete) {
        std::string_view rest = data.substr(taken);
        if (literal_left_ > 0) {
            taken += feed_literal(rest);
            continue;
        }
        size_t lf = rest.find('\n');
        std::string_view piece = rest.substr(0, lf == std::string_view::npos ? rest.size() : lf);
        if (line_.size() + piece.size() > max_line_) {
            status_ = Status::too_long;
            return taken;
        }
        line_.append(piece);
        taken += piece.size();
        if (lf == std::string_view::npos) break;
        taken++;  // the LF
        end_of_line();
    }
    return taken;
}

void CommandFramer::end_of_line() {
    if (!line_.empty() && line_.back() == '\r') line_.pop_back();
    auto literal = announced_literal(line_);
    if (!dropping_) text_ += line_;
    line_.clear();
    if (!literal) {
        status_ = dropping_ ? Status::literal_too_large : Status::complete;
        return;
    }
    if (*literal == UINT64_MAX || ++literals_ > max_literals) {
        status_ = Status::too_long;
        return;
    }
    if (*literal > max_literal_) dropping_ = true;
    if (!dropping_) text_ += "\r\n";
    literal_left_ = *literal;
}

size_t CommandFramer::feed_literal(std::string_view data) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(literal_left_, data.size()));
    if (!dropping_) text_.append(data.substr(0, n));
    literal_left_ -= n;
    return n;
}

std::string CommandFramer::take() {
    std::string out = std::move(text_);
    reset();
    return out;
}

void CommandFramer::reset() {
    status_ = Status::incomplete;
    text_.clear();
    line_.clear();
    literal_left_ = 0;
    literals_ = 0;
    dropping_ = false;
}

}  // namespace pochta::managesieve
