// An APPEND literal over store::spool_threshold (README.md, "Spooling"):
// the parser streams its bytes here (imap/literal_sink.hpp) and they go to
// a spool written by the store's spool thread, so a client parked in the
// middle of a large APPEND costs disk, not memory. Without a stream the
// literal is over the message size limit: its bytes (a {n+} literal is on
// its way whatever we answer) are dropped, and APPEND refuses it.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "imap/literal_sink.hpp"
#include "store/spool_writer.hpp"

namespace pochta::imap {

class SpooledLiteral : public LiteralSink {
public:
    explicit SpooledLiteral(std::shared_ptr<store::SpoolStream> stream) : stream_(std::move(stream)) {}

    void write(std::string_view bytes) override {
        if (stream_) stream_->write(std::string(bytes));
    }
    const std::shared_ptr<store::SpoolStream>& stream() const { return stream_; }

private:
    std::shared_ptr<store::SpoolStream> stream_;
};

}  // namespace pochta::imap
