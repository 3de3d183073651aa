// A message too large to keep in memory while it arrives (README.md,
// "Spooling"): a 0600 file under data_dir/tmp, hashed and counted as it is
// written, so that it becomes the message's blob by a link, without being
// read again. Written by one thread at a time (store/spool_writer.hpp);
// read (view) by the store once finished. The file goes with the object,
// and a crash leaves it in tmp/, which is emptied at start.
#pragma once

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <string>
#include <string_view>

#include "store/message_prep.hpp"
#include "store/result.hpp"
#include "store/sha256.hpp"

namespace pochta::store {

// The bytes of a delivery or an APPEND: its data, or its spool's.
std::string_view content_of(const Delivery& delivery);
std::string_view content_of(const AppendRequest& request);

class Spool {
public:
    // The file is created on the first append.
    explicit Spool(std::filesystem::path dir);
    ~Spool();
    Spool(const Spool&) = delete;
    Spool& operator=(const Spool&) = delete;

    // Writer side. A failure (a full disk) is kept: later appends do
    // nothing and finish() returns it.
    void append(std::string_view bytes);
    // fsync: the bytes are durable before any reply says so.
    Error finish();

    // After a successful finish().
    const std::string& sha256() const { return sha256_; }
    uint64_t size() const { return size_; }
    uint64_t crlf_size() const { return crlf_.total(); }
    const std::filesystem::path& path() const { return path_; }
    // The whole content, mapped read-only (page cache, not heap).
    std::string_view view();

private:
    void open_file();

    std::filesystem::path dir_;
    std::filesystem::path path_;
    int fd_ = -1;
    Error error_;
    Sha256 hash_;
    std::string sha256_;
    CrlfCounter crlf_;
    uint64_t size_ = 0;
    std::mutex map_mutex_;
    void* map_ = nullptr;
};

}  // namespace pochta::store
