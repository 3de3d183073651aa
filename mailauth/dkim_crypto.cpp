#include "mailauth/dkim_crypto.hpp"

#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <cstdio>
#include <mutex>
#include <unordered_map>
#include <stdexcept>

namespace pochta::mailauth {

namespace {

constexpr size_t ed25519_key_bytes = 32;

PKey wrap(EVP_PKEY* key) { return PKey(key, EVP_PKEY_free); }

using PKeyCtx = std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)>;
using MdCtx = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;

// rsa-sha256 signs the hash as a PKCS#1 v1.5 DigestInfo for SHA-256.
PKeyCtx rsa_context(EVP_PKEY* key, bool sign) {
    PKeyCtx ctx(EVP_PKEY_CTX_new(key, nullptr), EVP_PKEY_CTX_free);
    if (!ctx) return ctx;
    const int init = sign ? EVP_PKEY_sign_init(ctx.get()) : EVP_PKEY_verify_init(ctx.get());
    if (init != 1 || EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) != 1 ||
        EVP_PKEY_CTX_set_signature_md(ctx.get(), EVP_sha256()) != 1)
        ctx.reset();
    return ctx;
}

// Setting up a signing context costs about 4% of an RSA-2048 signature, and
// a signer's worker thread signs with the same key message after message:
// each thread keeps its last one. The context holds a reference to its key,
// so a reloaded key never reuses the address of one still cached.
EVP_PKEY_CTX* rsa_signing_context_for(EVP_PKEY* key) {
    thread_local PKeyCtx context(nullptr, EVP_PKEY_CTX_free);
    thread_local EVP_PKEY* context_key = nullptr;
    if (!context || context_key != key) {
        context = rsa_context(key, true);
        context_key = context ? key : nullptr;
    }
    return context.get();
}

bool is_type(EVP_PKEY* key, DkimKeyType type) {
    return EVP_PKEY_get_base_id(key) == (type == DkimKeyType::rsa ? EVP_PKEY_RSA : EVP_PKEY_ED25519);
}

}  // namespace

namespace {

PKey decode_public_key(DkimKeyType type, std::string_view bytes) {
    const auto* data = reinterpret_cast<const unsigned char*>(bytes.data());
    if (type == DkimKeyType::ed25519) {
        if (bytes.size() != ed25519_key_bytes) return nullptr;
        return wrap(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, data, bytes.size()));
    }
    const unsigned char* p = data;
    PKey key = wrap(d2i_PUBKEY(nullptr, &p, static_cast<long>(bytes.size())));
    if (!key) {
        p = data;
        key = wrap(d2i_PublicKey(EVP_PKEY_RSA, nullptr, &p, static_cast<long>(bytes.size())));
    }
    if (!key || !is_type(key.get(), DkimKeyType::rsa)) return nullptr;
    return key;
}

}  // namespace

// OpenSSL 3's decoders make reading an RSA key cost more than verifying
// with it, and a busy sender's mail names the same few keys over and over:
// decoded keys are kept (an EVP_PKEY may be shared by threads that only
// verify with it). Bounded: the cache starts over when full.
PKey public_key_from_record(DkimKeyType type, std::string_view bytes) {
    constexpr size_t max_keys = 1000;
    static std::mutex mutex;
    static std::unordered_map<std::string, PKey> keys;
    std::string name = (type == DkimKeyType::rsa ? "r" : "e") + std::string(bytes);
    {
        std::lock_guard lock(mutex);
        if (auto it = keys.find(name); it != keys.end()) return it->second;
    }
    PKey key = decode_public_key(type, bytes);
    if (!key) return key;
    std::lock_guard lock(mutex);
    if (keys.size() >= max_keys) keys.clear();
    keys.emplace(std::move(name), key);
    return key;
}

std::string public_key_record_bytes(EVP_PKEY* key, DkimKeyType type) {
    if (type == DkimKeyType::ed25519) {
        std::string out(ed25519_key_bytes, '\0');
        size_t size = out.size();
        if (EVP_PKEY_get_raw_public_key(key, reinterpret_cast<unsigned char*>(out.data()), &size) != 1)
            throw std::runtime_error("cannot read the ed25519 public key");
        out.resize(size);
        return out;
    }
    unsigned char* der = nullptr;
    const int size = i2d_PUBKEY(key, &der);
    if (size <= 0) throw std::runtime_error("cannot encode the RSA public key");
    std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(size));
    OPENSSL_free(der);
    return out;
}

int key_bits(EVP_PKEY* key) { return EVP_PKEY_get_bits(key); }

bool verify_hash(EVP_PKEY* key, DkimKeyType type, const Sha256& hash, std::string_view signature) {
    const auto* sig = reinterpret_cast<const unsigned char*>(signature.data());
    if (type == DkimKeyType::ed25519) {
        MdCtx ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
        return ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key) == 1 &&
               EVP_DigestVerify(ctx.get(), sig, signature.size(), hash.data(), hash.size()) == 1;
    }
    PKeyCtx ctx = rsa_context(key, false);
    return ctx && EVP_PKEY_verify(ctx.get(), sig, signature.size(), hash.data(), hash.size()) == 1;
}

std::string sign_hash(EVP_PKEY* key, DkimKeyType type, const Sha256& hash) {
    std::string out;
    size_t size = 0;
    if (type == DkimKeyType::ed25519) {
        MdCtx ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
        if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key) != 1 ||
            EVP_DigestSign(ctx.get(), nullptr, &size, hash.data(), hash.size()) != 1)
            throw std::runtime_error("ed25519 signing failed");
        out.resize(size);
        if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &size, hash.data(),
                           hash.size()) != 1)
            throw std::runtime_error("ed25519 signing failed");
    } else {
        EVP_PKEY_CTX* ctx = rsa_signing_context_for(key);
        if (!ctx || EVP_PKEY_sign(ctx, nullptr, &size, hash.data(), hash.size()) != 1)
            throw std::runtime_error("RSA signing failed");
        out.resize(size);
        if (EVP_PKEY_sign(ctx, reinterpret_cast<unsigned char*>(out.data()), &size, hash.data(),
                          hash.size()) != 1)
            throw std::runtime_error("RSA signing failed");
    }
    out.resize(size);
    return out;
}

PKey generate_private_key(DkimKeyType type) {
    EVP_PKEY* key = type == DkimKeyType::rsa ? EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{default_rsa_bits})
                                             : EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
    if (!key) throw std::runtime_error("key generation failed");
    return wrap(key);
}

std::string private_key_pem(EVP_PKEY* key) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
    if (!bio || PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1)
        throw std::runtime_error("cannot write the private key");
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<size_t>(size));
}

PKey read_private_key(const std::filesystem::path& file, DkimKeyType type) {
    std::unique_ptr<FILE, decltype(&fclose)> in(std::fopen(file.c_str(), "rb"), fclose);
    if (!in) return nullptr;
    PKey key = wrap(PEM_read_PrivateKey(in.get(), nullptr, nullptr, nullptr));
    if (!key || !is_type(key.get(), type)) return nullptr;
    return key;
}

}  // namespace pochta::mailauth
