// The thread that writes spools (store/spool.hpp), so the loop thread never
// waits for the disk while a large message arrives. A SpoolStream is the
// loop's handle on one spool: it says how many bytes are still queued, so
// the session can stop reading its client while the disk is behind.
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "common/net/loop.hpp"
#include "store/spool.hpp"

namespace pochta::store {

// A message arriving from a client (SMTP DATA/BDAT, IMAP APPEND) is kept in
// memory up to this size; a larger one goes to a spool (README.md, "Spooling").
constexpr size_t spool_threshold = 128 * 1024;

class SpoolStream;

class SpoolWriter {
public:
    // Spools are files in `dir` (data_dir/tmp).
    SpoolWriter(net::EventLoop& loop, std::filesystem::path dir);
    // Work still queued is dropped (its spools removed) and no callback runs.
    ~SpoolWriter();
    SpoolWriter(const SpoolWriter&) = delete;
    SpoolWriter& operator=(const SpoolWriter&) = delete;

    std::shared_ptr<SpoolStream> open();

    struct Core;

private:
    std::shared_ptr<Core> core_;
    std::thread thread_;
};

class SpoolStream : public std::enable_shared_from_this<SpoolStream> {
public:
    SpoolStream(std::shared_ptr<SpoolWriter::Core> core, std::shared_ptr<Spool> spool);

    // All on the loop thread.
    void write(std::string bytes);
    // Bytes handed to write() and not on disk yet.
    size_t behind() const { return behind_; }
    // The session stops reading its client while more than this is queued
    // for the disk, so a fast client cannot queue the message in memory.
    static constexpr size_t max_behind = 256 * 1024;
    bool too_far_behind() const { return behind_ > max_behind; }
    // `fn` runs on the loop once behind() is 0 (at once if it is).
    void when_caught_up(std::function<void()> fn);
    // fsync, then done(error) on the loop: empty when every byte is durable.
    void finish(std::function<void(Error)> done);

    const std::shared_ptr<Spool>& spool() const { return spool_; }

private:
    void written(size_t bytes);

    std::shared_ptr<SpoolWriter::Core> core_;
    std::shared_ptr<Spool> spool_;
    size_t behind_ = 0;
    std::function<void()> caught_up_;
};

}  // namespace pochta::store
