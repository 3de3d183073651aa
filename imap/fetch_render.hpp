// FETCH responses rendered on a worker thread from the store's rows of a
// batch (store::Store::message_rows): one "* n FETCH (...)" line per
// message, as pieces of text and, for large message content, ranges of the
// stored message that the session streams in chunks instead of holding
// them in memory.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "imap/fetch_items.hpp"
#include "store/store.hpp"

namespace pochta::imap {

// Content larger than this (and byte-identical on the wire) is streamed.
inline constexpr uint64_t kStreamThreshold = 1 << 20;

struct FetchMessage {
    uint32_t seq = 0;
    uint32_t uid = 0;
    bool recent = false;
    bool report_flags = false;  // FLAGS go out even if not asked for (\Seen was just set)
};

struct FetchPiece {
    std::string text;
    // When length > 0: after `text`, `length` octets of message `message_id`
    // from `offset` follow (the literal header is already in `text`).
    int64_t message_id = 0;
    uint64_t offset = 0;
    uint64_t length = 0;
};

// What of each message's row the items need.
store::RowParts row_parts(const std::vector<FetchItem>& items);

// The pieces of one message's FETCH response, CRLF included. `row` was read
// with row_parts(items); the store is read only for what the row lacks.
std::vector<FetchPiece> render_fetch(store::Store& store, const FetchMessage& message, const store::MessageRow& row,
                                     const std::vector<FetchItem>& items);

// "17-Jul-1996 02:44:25 +0000" (always UTC).
std::string format_internaldate(int64_t unix_seconds);

// Header block lines whose field name is (or, with exclude, is not) in
// `fields`, case-insensitively, followed by the empty line that ends a header.
std::string filter_header(std::string_view header, const std::vector<std::string>& fields, bool exclude);

}  // namespace pochta::imap
