#include <cstring>

#include "common/net/connection.hpp"

namespace pochta::net {
namespace {
// An idle connection should not keep a large buffer around: once the buffer
// is empty and its allocation is above this, the memory is returned.
constexpr size_t kKeepCapacity = 8 * 1024;
// Consumed bytes without a line end (a literal, a BDAT chunk) count as one
// step of progress per this many.
constexpr size_t kBytesPerStep = 16 * 1024;
}  // namespace

void InputBuffer::consume(size_t n) {
    n = std::min(n, size());
    if (n == 0) return;
    const char* begin = data_.data() + start_;
    if (std::memchr(begin, '\n', n)) {
        ++progress_;
        partial_ = 0;
    } else if ((partial_ += n) >= kBytesPerStep) {
        ++progress_;
        partial_ = 0;
    }
    start_ += n;
    if (start_ == data_.size()) clear();
}

void InputBuffer::append(const char* p, size_t n) {
    if (n == 0) return;
    // Compact before growing, so that a session consuming steadily keeps the
    // buffer at the size of what it has not consumed yet.
    if (start_ > 0 && (start_ >= data_.size() / 2 || data_.size() + n > data_.capacity())) {
        data_.erase(0, start_);
        start_ = 0;
    }
    data_.append(p, n);
}

void InputBuffer::clear() {
    start_ = 0;
    if (data_.capacity() > kKeepCapacity) {
        std::string().swap(data_);
    } else {
        data_.clear();
    }
}

size_t InputBuffer::line_length() const {
    const char* begin = data_.data() + start_;
    const void* lf = std::memchr(begin, '\n', size());
    return lf ? static_cast<size_t>(static_cast<const char*>(lf) - begin) + 1 : 0;
}

}  // namespace pochta::net
