// Password verification with libxcrypt and new SHA512-CRYPT hashes.
#include "common/auth/password.hpp"

#include <crypt.h>

#include <memory>
#include <stdexcept>

namespace pochta::auth {

namespace {

constexpr size_t max_password_bytes = 4096;

// Runs in time that depends only on the lengths, never on where the first
// difference is.
bool constant_time_equal(std::string_view a, std::string_view b) {
    unsigned char diff = a.size() == b.size() ? 0 : 1;
    for (size_t i = 0; i < b.size(); i++) {
        unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
        diff |= static_cast<unsigned char>(x ^ static_cast<unsigned char>(b[i]));
    }
    return diff == 0;
}

bool starts_with(std::string_view s, std::string_view prefix) {
    return s.substr(0, prefix.size()) == prefix;
}

// The hash must belong to the scheme its {SCHEME} names, so a "{SHA512-CRYPT}"
// entry cannot silently hold a weak DES hash.
bool hash_matches_scheme(std::string_view scheme, std::string_view hash) {
    if (scheme == "SHA512-CRYPT") return starts_with(hash, "$6$");
    if (scheme == "SHA256-CRYPT") return starts_with(hash, "$5$");
    if (scheme == "BLF-CRYPT")
        return starts_with(hash, "$2a$") || starts_with(hash, "$2b$") || starts_with(hash, "$2y$");
    return scheme == "CRYPT";
}

bool verify_crypt(const std::string& hash, std::string_view password) {
    int check = crypt_checksalt(hash.c_str());
    // Old but still computable methods (legacy, too cheap) verify; an admin
    // moving users over must not lock them out.
    if (check != CRYPT_SALT_OK && check != CRYPT_SALT_METHOD_LEGACY && check != CRYPT_SALT_TOO_CHEAP) return false;
    auto data = std::make_unique<crypt_data>();  // ~32 KiB: not for the stack
    std::string pw(password);
    const char* out = crypt_r(pw.c_str(), hash.c_str(), data.get());
    if (out == nullptr || out[0] == '*') return false;
    return constant_time_equal(out, hash);
}

}  // namespace

bool verify_password(const UserEntry& user, std::string_view password) {
    if (password.size() > max_password_bytes) return false;
    if (user.scheme == "PLAIN") return constant_time_equal(password, user.hash);
    // crypt(3) stops at a NUL, so "secret\0anything" would match "secret".
    if (password.find('\0') != std::string_view::npos) return false;
    if (!hash_matches_scheme(user.scheme, user.hash)) return false;
    return verify_crypt(user.hash, password);
}

std::string hash_password(std::string_view password) {
    if (password.empty()) throw std::invalid_argument("empty password");
    if (password.size() > max_password_bytes) throw std::invalid_argument("password too long");
    if (password.find('\0') != std::string_view::npos) throw std::invalid_argument("password contains a NUL byte");
    char salt[CRYPT_GENSALT_OUTPUT_SIZE];
    if (crypt_gensalt_rn("$6$", 0, nullptr, 0, salt, sizeof salt) == nullptr)
        throw std::runtime_error("crypt_gensalt failed: no random source");
    auto data = std::make_unique<crypt_data>();
    std::string pw(password);
    const char* out = crypt_r(pw.c_str(), salt, data.get());
    if (out == nullptr || !starts_with(out, "$6$")) throw std::runtime_error("crypt failed for SHA512-CRYPT");
    return std::string("{SHA512-CRYPT}") + out;
}

PasswordCheck directory_password_check(Directory& directory) {
    return [&directory](const std::string& username, const std::string& password) -> std::string {
        auto snapshot = directory.current();
        if (const UserEntry* entry = snapshot->find_user(username))
            return verify_password(*entry, password) ? entry->address : std::string();
        // An unknown name costs a real hash too, and never logs in: timing
        // must not tell which users exist.
        if (const UserEntry* typical = snapshot->typical_user()) (void)verify_password(*typical, password);
        return {};
    };
}

}  // namespace pochta::auth
