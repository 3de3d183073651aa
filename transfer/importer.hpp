// `pochta import ADDRESS PATH` (README.md, "Import and export"): a Dovecot
// Maildir (with its .Folder subfolders) or one mbox file into a user's
// mailboxes, through the store's import claims so that UIDs and UIDVALIDITY
// are kept and a second run after an interruption stores nothing twice.
// Memory: two batches of messages (batch_bytes each, plus one message up
// to max_message) and the names of one Maildir folder's files.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace pochta::store {
class Store;
}

namespace pochta::transfer {

struct TransferSummary {
    uint64_t folders = 0;
    uint64_t messages = 0;           // stored (imported) or written (exported)
    uint64_t bytes = 0;
    uint64_t already_there = 0;      // stored by an earlier, interrupted run
    std::vector<std::string> skipped;  // one line each: what and why
};

// What a progress display is told after each batch.
struct ProgressUpdate {
    uint64_t done = 0;               // messages or bytes, as `total`
    uint64_t total = 0;              // 0: unknown
    uint64_t messages = 0;
};

struct ImportOptions {
    std::string mailbox = "INBOX";   // where an mbox file goes
    size_t batch_messages = 1000;
    size_t batch_bytes = 8 * 1024 * 1024;
    size_t max_message = 256 * 1024 * 1024;
    std::function<void(const ProgressUpdate&)> progress;
};

// A folder with cur/ or new/ is a Maildir, a file an mbox. Throws
// std::runtime_error when PATH is neither.
TransferSummary import_mail(store::Store& store, const std::string& user, const std::filesystem::path& path,
                            const ImportOptions& options);

}  // namespace pochta::transfer
