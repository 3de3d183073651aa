// Coordinates processes sharing one data_dir (the server and CLI commands
// such as `pochta queue flush`). SQLite already serialises their writes;
// this lock only decides who may treat leftovers as garbage: start-up
// cleanup removes temp files and unreferenced blob files, which is safe
// only when no other process could be mid-delivery. The first opener takes
// the lock exclusively, cleans up, then shares it for its lifetime.
#pragma once

#include <filesystem>

namespace pochta::store {

class DirLock {
public:
    // Throws StoreError when the lock file cannot be opened at all.
    explicit DirLock(const std::filesystem::path& data_dir);
    ~DirLock();
    DirLock(const DirLock&) = delete;
    DirLock& operator=(const DirLock&) = delete;

    // True when no other process has the store open.
    bool exclusive() const { return exclusive_; }
    // Lets other processes in (after cleanup).
    void share();

private:
    int fd_ = -1;
    bool exclusive_ = false;
};

}  // namespace pochta::store
