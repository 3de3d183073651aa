#include "store/sha256.hpp"

#include <openssl/evp.h>

#include "store/result.hpp"

namespace pochta::store {

namespace {

std::string to_hex(const unsigned char* digest, unsigned int len) {
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(len * 2);
    for (unsigned int i = 0; i < len; ++i) {
        out.push_back(hex[digest[i] >> 4]);
        out.push_back(hex[digest[i] & 15]);
    }
    return out;
}

}  // namespace

std::string sha256_hex(std::string_view data) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha256(), nullptr) != 1)
        throw StoreError("sha256 failed");
    return to_hex(digest, len);
}

bool is_sha256_hex(std::string_view name) {
    if (name.size() != 64) return false;
    for (char c : name)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    return true;
}

struct Sha256::Context {
    EVP_MD_CTX* md = EVP_MD_CTX_new();
    ~Context() { EVP_MD_CTX_free(md); }
    void start() {
        if (!md || EVP_DigestInit_ex(md, EVP_sha256(), nullptr) != 1) throw StoreError("sha256 failed");
    }
};

Sha256::Sha256() : ctx_(std::make_unique<Context>()) { ctx_->start(); }
Sha256::~Sha256() = default;
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;

void Sha256::update(std::string_view data) {
    if (EVP_DigestUpdate(ctx_->md, data.data(), data.size()) != 1) throw StoreError("sha256 failed");
}

std::string Sha256::finish() {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (EVP_DigestFinal_ex(ctx_->md, digest, &len) != 1) throw StoreError("sha256 failed");
    ctx_->start();
    return to_hex(digest, len);
}

}  // namespace pochta::store
