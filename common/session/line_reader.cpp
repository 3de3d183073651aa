#include "common/session/line_reader.hpp"

#include <algorithm>

namespace pochta::session {

bool LineReader::skip_rest(net::InputBuffer& in) {
    if (!skipping_) return true;
    size_t length = in.line_length();
    in.consume(length ? length : in.size());
    skipping_ = length == 0;
    return !skipping_;
}

Line LineReader::next(net::InputBuffer& in, size_t limit) {
    if (!skip_rest(in)) return {};
    size_t length = in.line_length();
    if (length == 0) {
        if (in.size() <= limit) return {};
        // No end in sight: what is buffered goes now, the rest as it comes.
        in.clear();
        skipping_ = true;
        return {Line::Kind::too_long, {}};
    }
    if (length > limit) {
        in.consume(length);
        return {Line::Kind::too_long, {}};
    }
    std::string_view raw = in.view().substr(0, length - 1);
    if (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
    Line line{Line::Kind::line, std::string(raw)};
    in.consume(length);
    return line;
}

size_t CountedBytes::feed(std::string_view data) {
    size_t take = static_cast<size_t>(std::min<uint64_t>(left_, data.size()));
    if (take > 0 && take_) take_(data.substr(0, take));
    left_ -= take;
    return take;
}

}  // namespace pochta::session
