// `pochta export ADDRESS DIR` (README.md, "Import and export"): a user's
// mailboxes as a Maildir++ tree in DIR (INBOX at the top, ".Work.Projects"
// for Work/Projects) with dovecot-uidlist and dovecot-keywords in each
// folder, so Dovecot takes them with the same UIDVALIDITY and UIDs and the
// same flags, keywords and received dates (file mtimes).
#pragma once

#include <filesystem>
#include <functional>
#include <string>

#include "transfer/importer.hpp"

namespace pochta::store {
class Store;
}

namespace pochta::transfer {

struct ExportOptions {
    std::function<void(const ProgressUpdate&)> progress;
};

// DIR must be missing or empty. Reads through the store's read snapshots,
// so it runs beside a server; a message expunged meanwhile is reported in
// `skipped`. Throws std::runtime_error (and store::StoreError).
TransferSummary export_mail(store::Store& store, const std::string& user, const std::filesystem::path& dir,
                            const ExportOptions& options);

}  // namespace pochta::transfer
