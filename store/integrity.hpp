// What `pochta check` finds in a store (README.md, "Integrity"): messages
// whose bytes are gone or damaged, blob files no row names, blob rows
// nothing refers to. References are counted by query (store/schema.cpp),
// so a wrong count shows up as a row with no reference left.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace pochta::store {

struct IntegrityProblem {
    enum class Kind {
        blob_missing,       // a message's blob file is gone: its bytes are lost
        blob_damaged,       // present, but its size or SHA-256 is not what the index says
        orphan_file,        // a blob file no row names (an interrupted delivery)
        unreferenced_blob,  // a blob row no message or queue entry refers to
    };
    Kind kind = Kind::blob_missing;
    std::string blob;     // sha256
    std::string user;     // for the message problems: whose message, where
    std::string mailbox;
    uint32_t uid = 0;
    std::string detail;
    bool repaired = false;
};

struct IntegrityReport {
    std::vector<IntegrityProblem> problems;
    uint64_t blobs_checked = 0;
    // Orphan files are looked for only when no other process (a running
    // server, mid-delivery) has the store open.
    bool orphans_checked = false;
};

std::string_view to_string(IntegrityProblem::Kind kind);

}  // namespace pochta::store
