// SHA-256, the name of a blob: at once (sha256_hex) or over pieces
// (Sha256), for bytes that arrive in chunks (a spooled DATA, `pochta check`
// reading a large blob file).
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace pochta::store {

// Lowercase hex SHA-256 of data (64 characters).
std::string sha256_hex(std::string_view data);

// True for exactly 64 lowercase hex digits: the only names we create.
bool is_sha256_hex(std::string_view name);

class Sha256 {
public:
    Sha256();
    ~Sha256();
    Sha256(Sha256&&) noexcept;
    Sha256& operator=(Sha256&&) noexcept;

    void update(std::string_view data);
    // Lowercase hex of everything given; the hasher starts over afterwards.
    std::string finish();

private:
    struct Context;
    std::unique_ptr<Context> ctx_;
};

}  // namespace pochta::store
