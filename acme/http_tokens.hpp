// HTTP-01 answers (RFC 8555 section 8.3): the key authorization for each
// token under validation, served by the HTTP listener at
// /.well-known/acme-challenge/TOKEN (README.md, "ACME certificates").
// Thread-safe.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace pochta::acme {

class Http01Tokens {
public:
    void set(const std::string& token, const std::string& key_authorization);
    void remove(const std::string& token);
    std::optional<std::string> lookup(std::string_view token) const;

private:
    mutable std::mutex mutex_;
    std::map<std::string, std::string, std::less<>> answers_;
};

}  // namespace pochta::acme
