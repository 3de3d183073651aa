// Reads every message of an mbox held in memory, handed to the reader in
// pieces of at most `piece` bytes, from offset `start` (a resumed import).
// Shared by the mbox reader's unit tests and its fuzz target.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "transfer/mbox_reader.hpp"

namespace pochta::test {

inline std::vector<transfer::MboxMessage> read_mbox(std::string_view input, size_t max_message, size_t piece,
                                                    uint64_t start = 0, std::string* error = nullptr) {
    size_t pos = start;
    transfer::MboxReader reader(
        [&](char* buffer, size_t size) {
            const size_t n = std::min({size, piece, input.size() - pos});
            std::memcpy(buffer, input.data() + pos, n);
            pos += n;
            return n;
        },
        max_message, start);
    std::vector<transfer::MboxMessage> out;
    transfer::MboxMessage m;
    while (reader.next(m)) out.push_back(m);
    if (error) *error = reader.error();
    return out;
}

}  // namespace pochta::test
