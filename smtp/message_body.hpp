// The body of one SMTP transaction (DATA or BDAT) as it arrives (README.md,
// "Spooling"): in memory up to spool_threshold, then in a spool file that
// a store thread writes, so that a client parked in the middle of a large
// message costs disk, not memory. The session stops reading while the
// spool's writer is behind (behind()), and the store makes the spool the
// message's blob by a link.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "store/async_store.hpp"

namespace pochta::smtp {

class MessageBody {
public:
    static constexpr size_t spool_threshold = store::spool_threshold;

    // `prefix` makes the header lines stored before the body (Return-Path,
    // Received); it is asked once, when the body moves to a spool, since
    // the spool's bytes are the stored message from its first byte on.
    // head() is set by then, so the prefix can judge the header (README.md,
    // "Submission hygiene").
    MessageBody(store::AsyncStore& store, std::function<std::string()> prefix);

    void append(std::string bytes);
    uint64_t size() const { return size_; }
    // The first spool_threshold bytes of the body at least (the header,
    // for the Received count); the whole body while it is not spooled.
    const std::string& head() const { return spooled() ? head_ : memory_; }

    bool spooled() const { return stream_ != nullptr; }
    // The body, while it is not spooled.
    std::string& memory() { return memory_; }
    const std::shared_ptr<store::SpoolStream>& stream() const { return stream_; }

    // Stop reading the client: the spool's writer is behind.
    bool behind() const { return stream_ && stream_->too_far_behind(); }

private:
    void spill();

    store::AsyncStore& store_;
    std::function<std::string()> prefix_;
    std::string memory_;
    std::string head_;
    uint64_t size_ = 0;
    std::shared_ptr<store::SpoolStream> stream_;
};

}  // namespace pochta::smtp
