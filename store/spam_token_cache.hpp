// The classifier's hot token counts, kept in memory between messages
// (README.md, "Spam"): judging a message asks for a few hundred tokens,
// most of them asked for by the messages before it, and a lookup here
// costs a small fraction of an SQLite lookup. Each user's counts are
// tagged with the generation of that user's corpus row, which every
// lesson changes (from this process or from `pochta spam train` in
// another), so counts are only served while no lesson came in since.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "store/spam_data.hpp"

namespace pochta::store {

class SpamTokenCache {
public:
    explicit SpamTokenCache(size_t capacity) : capacity_(capacity) {}

    // Fills counts[i] for the tokens known for `user` at `generation`;
    // the indexes of the others go to `missing`.
    void find(int64_t user, int64_t generation, const std::vector<uint64_t>& tokens,
              std::vector<SpamTokenCount>& counts, std::vector<size_t>& missing);

    // Keeps the counts read for tokens[i], i in `indexes`, at `generation`.
    void keep(int64_t user, int64_t generation, const std::vector<uint64_t>& tokens,
              const std::vector<SpamTokenCount>& counts, const std::vector<size_t>& indexes);

private:
    struct UserCounts {
        int64_t generation = 0;
        std::unordered_map<uint64_t, SpamTokenCount> tokens;
    };
    // The user's counts at `generation`, emptied when they were of another one.
    UserCounts& at_generation(int64_t user, int64_t generation);

    const size_t capacity_;   // tokens over all users; all are dropped when full
    std::mutex mutex_;
    std::unordered_map<int64_t, UserCounts> users_;
    size_t size_ = 0;
};

}  // namespace pochta::store
