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
