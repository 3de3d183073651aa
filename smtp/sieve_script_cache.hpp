// Users' compiled Sieve scripts, by their source (README.md, "Sieve at
// delivery"): a script is compiled once, not for every message (compiling
// costs about as much as running). The source itself is the key: hashing
// it with std::hash costs a fraction of a SHA-256 per message, and the
// compiled script takes more room than its source anyway. Thread-safe: store workers
// share it; a compiled script is read-only and runs on any thread.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <variant>

#include "sieve/interpreter.hpp"

namespace pochta::smtp {

class ScriptCache {
public:
    // At most `capacity` scripts are kept; one more empties the cache.
    explicit ScriptCache(size_t capacity = 1000) : capacity_(capacity) {}

    // The compiled script (cached), or its compile error (not cached).
    std::variant<std::shared_ptr<const sieve::Script>, sieve::Error> compile(const std::string& source);

private:
    std::mutex mutex_;
    size_t capacity_;
    std::unordered_map<std::string, std::shared_ptr<const sieve::Script>> scripts_;
};

}  // namespace pochta::smtp
