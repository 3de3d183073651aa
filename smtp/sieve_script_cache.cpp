#include "smtp/sieve_script_cache.hpp"


namespace pochta::smtp {

std::variant<std::shared_ptr<const sieve::Script>, sieve::Error> ScriptCache::compile(const std::string& source) {
    {
        std::lock_guard lock(mutex_);
        if (auto it = scripts_.find(source); it != scripts_.end()) return it->second;
    }
    auto compiled = sieve::compile(source);  // outside the lock: workers compile side by side
    if (auto* script = std::get_if<std::shared_ptr<const sieve::Script>>(&compiled)) {
        std::lock_guard lock(mutex_);
        if (scripts_.size() >= capacity_) scripts_.clear();
        scripts_.emplace(source, *script);
    }
    return compiled;
}

}  // namespace pochta::smtp
