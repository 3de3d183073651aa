#include "acme/http_tokens.hpp"

namespace pochta::acme {

void Http01Tokens::set(const std::string& token, const std::string& key_authorization) {
    std::lock_guard lock(mutex_);
    answers_[token] = key_authorization;
}

void Http01Tokens::remove(const std::string& token) {
    std::lock_guard lock(mutex_);
    answers_.erase(token);
}

std::optional<std::string> Http01Tokens::lookup(std::string_view token) const {
    std::lock_guard lock(mutex_);
    auto it = answers_.find(token);
    if (it == answers_.end()) return std::nullopt;
    return it->second;
}

}  // namespace pochta::acme
