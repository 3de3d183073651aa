// Changes to an accepted message's bytes before it is stored: the
// Authentication-Results field inserted below Return-Path, and incoming
// fields that claim to be ours renamed (README.md, "Checks on arrival").
// A message in memory is edited as a string; a spooled one is copied into
// a new spool with the edits, since a spool becomes its blob by a link and
// its hash was counted as it was written.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace pochta::store {

class Spool;

// `length` bytes at `offset` become `text` (0 bytes: an insertion).
struct ContentEdit {
    uint64_t offset = 0;
    uint64_t length = 0;
    std::string text;
};

// `data` with `edits` applied. Edits are sorted by offset and do not
// overlap; one beyond the end of `data` is an invalid_argument.
std::string apply_edits(std::string_view data, const std::vector<ContentEdit>& edits);

// A new finished (fsync'd) spool beside `source` holding its content with
// `edits` applied; `source` is left as it was. Blocking: call it on a
// worker (AsyncStore::run). Throws StoreError (disk_full when out of space).
std::shared_ptr<Spool> edited_spool(Spool& source, const std::vector<ContentEdit>& edits);

}  // namespace pochta::store
