// The OpenSSL side of DKIM: keys in and out of their DNS and PEM forms, and
// signing and verifying a header hash with rsa-sha256 (RSASSA-PKCS1-v1_5,
// RFC 6376 3.3.1) or ed25519-sha256 (PureEdDSA over the SHA-256 hash,
// RFC 8463 3).
#pragma once

#include <openssl/evp.h>

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "mailauth/dkim_canon.hpp"
#include "mailauth/dkim_keys.hpp"

namespace pochta::mailauth {

using PKey = std::shared_ptr<EVP_PKEY>;

// RFC 8301 3.2: shorter RSA keys are not accepted.
constexpr int min_rsa_bits = 1024;
constexpr int default_rsa_bits = 2048;

// From the p= bytes: a SubjectPublicKeyInfo (or a bare RSAPublicKey, which
// some publish) for rsa, the 32 raw bytes for ed25519. Null when unusable.
PKey public_key_from_record(DkimKeyType type, std::string_view bytes);
// The p= bytes of a (private or public) key.
std::string public_key_record_bytes(EVP_PKEY* key, DkimKeyType type);
int key_bits(EVP_PKEY* key);

bool verify_hash(EVP_PKEY* key, DkimKeyType type, const Sha256& hash, std::string_view signature);
// Throws std::runtime_error when OpenSSL fails.
std::string sign_hash(EVP_PKEY* key, DkimKeyType type, const Sha256& hash);

PKey generate_private_key(DkimKeyType type);
std::string private_key_pem(EVP_PKEY* key);
// Null when the file cannot be read or holds no key of that type.
PKey read_private_key(const std::filesystem::path& file, DkimKeyType type);

}  // namespace pochta::mailauth
