#include "smtp/message_body.hpp"

#include <utility>

namespace pochta::smtp {

MessageBody::MessageBody(store::AsyncStore& store, std::function<std::string()> prefix)
    : store_(store), prefix_(std::move(prefix)) {}

void MessageBody::append(std::string bytes) {
    size_ += bytes.size();
    if (spooled()) return stream_->write(std::move(bytes));
    if (memory_.empty())
        memory_ = std::move(bytes);
    else
        memory_ += bytes;
    if (memory_.size() > spool_threshold) spill();
}

void MessageBody::spill() {
    stream_ = store_.open_spool();
    head_ = memory_.substr(0, spool_threshold);
    stream_->write(prefix_());
    stream_->write(std::exchange(memory_, {}));
}

}  // namespace pochta::smtp
