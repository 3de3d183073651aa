// The ACME files under data_dir/acme/ (README.md, "ACME certificates"):
// account.key (the account's P-256 key), privkey.pem and fullchain.pem
// (the certificate the listeners use, as [tls] cert and key). All 0600 in
// a 0700 folder, each written whole (temp file, fsync, rename).
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "acme/client.hpp"
#include "acme/keys.hpp"

namespace pochta::acme {

struct AcmeFiles {
    std::filesystem::path dir;
    std::filesystem::path account_key() const { return dir / "account.key"; }
    std::filesystem::path chain() const { return dir / "fullchain.pem"; }
    std::filesystem::path key() const { return dir / "privkey.pem"; }
};

// The whole file, nullopt when it does not exist; throws on other errors.
std::optional<std::string> read_small_file(const std::filesystem::path& file);

// The account key, created on first use. Throws std::runtime_error.
EcKey load_or_create_account_key(const AcmeFiles& files);

// When the certificate or key is missing, a self-signed placeholder for
// `name` so that the listeners can start (and answer TLS-ALPN-01) before
// the first certificate is issued.
void ensure_placeholder(const AcmeFiles& files, const std::string& name);

// The key first, then the chain: a reader that sees the new chain also
// sees its key. Throws std::runtime_error.
void write_certificate(const AcmeFiles& files, const IssuedCertificate& issued);

}  // namespace pochta::acme
