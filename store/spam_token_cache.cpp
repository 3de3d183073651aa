#include "store/spam_token_cache.hpp"

namespace pochta::store {

SpamTokenCache::UserCounts& SpamTokenCache::at_generation(int64_t user, int64_t generation) {
    UserCounts& counts = users_[user];
    if (counts.generation != generation) {
        size_ -= counts.tokens.size();
        counts.tokens.clear();
        counts.generation = generation;
    }
    return counts;
}

void SpamTokenCache::find(int64_t user, int64_t generation, const std::vector<uint64_t>& tokens,
                          std::vector<SpamTokenCount>& counts, std::vector<size_t>& missing) {
    std::lock_guard lock(mutex_);
    const UserCounts& known = at_generation(user, generation);
    for (size_t i = 0; i < tokens.size(); ++i) {
        auto it = known.tokens.find(tokens[i]);
        if (it == known.tokens.end()) missing.push_back(i);
        else counts[i] = it->second;
    }
}

void SpamTokenCache::keep(int64_t user, int64_t generation, const std::vector<uint64_t>& tokens,
                          const std::vector<SpamTokenCount>& counts, const std::vector<size_t>& indexes) {
    std::lock_guard lock(mutex_);
    if (size_ + indexes.size() > capacity_) {
        // Crude but bounded; the hot tokens come back with the next messages.
        users_.clear();
        size_ = 0;
    }
    UserCounts& known = at_generation(user, generation);
    for (size_t i : indexes) {
        if (size_ >= capacity_) break;
        if (known.tokens.emplace(tokens[i], counts[i]).second) ++size_;
    }
}

}  // namespace pochta::store
