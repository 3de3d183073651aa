// The DKIM key folder (README.md "DKIM signing"): which keys exist for
// which domain, which selector is active per algorithm, and the DNS TXT
// record each key needs. Read by the signer, `pochta dkim` and `pochta dns`.
//
// Layout, under keys_dir ([dkim] keys_dir, default DATA_DIR/dkim), every
// folder 0700 and every file 0600:
//   keys_dir/DOMAIN/SELECTOR.rsa.key       PEM private key (PKCS#8)
//   keys_dir/DOMAIN/SELECTOR.ed25519.key
//   keys_dir/DOMAIN/rsa.active             the active rsa selector, one line
//   keys_dir/DOMAIN/ed25519.active
// Files are written to a temporary name and renamed, so a reader never sees
// half a key, and each change touches its domain folder's mtime.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pochta::mailauth {

enum class DkimKeyType { rsa, ed25519 };

// "rsa" / "ed25519": the k= tag value and the file name part.
std::string_view dkim_key_type_name(DkimKeyType type);
std::optional<DkimKeyType> parse_dkim_key_type(std::string_view name);

struct DkimKeyInfo {
    std::string domain;              // lowercase
    std::string selector;
    DkimKeyType type = DkimKeyType::rsa;
    std::string public_key_base64;   // the p= value: SubjectPublicKeyInfo (rsa) or the raw 32 bytes (ed25519)
    bool active = false;             // the domain signs with it
    std::filesystem::path file;      // the private key
};

// Every key under keys_dir (only `domain`'s when given), sorted by domain,
// type, selector. A missing folder is no keys. Files that are not keys are
// skipped; a key file that cannot be read throws std::runtime_error.
std::vector<DkimKeyInfo> list_dkim_keys(const std::filesystem::path& keys_dir, std::string_view domain = {});

// SELECTOR._domainkey.DOMAIN
std::string dkim_record_name(const DkimKeyInfo& key);
// "v=DKIM1; k=rsa; p=MIIB..." : the TXT value to publish.
std::string dkim_record_value(const DkimKeyInfo& key);
// The value cut into strings of at most 255 bytes (RFC 1035 3.3.14);
// resolvers join them again (RFC 6376 3.6.2.2).
std::vector<std::string> split_txt_strings(std::string_view value);

// A selector pochta accepts: 1..63 of [a-z0-9-], not starting with '-'.
bool is_valid_dkim_selector(std::string_view selector);

// `pochta dkim keygen`: creates a key (rsa 2048 bits, or ed25519); the first
// key of a domain and type becomes active. Throws std::runtime_error (the
// selector exists for that type, a bad domain or selector, I/O errors).
DkimKeyInfo generate_dkim_key(const std::filesystem::path& keys_dir, std::string_view domain,
                              std::string_view selector, DkimKeyType type);

// `pochta dkim use`: makes `selector` the active one for every type it has
// a key of. Throws std::runtime_error when the domain has no such selector.
void activate_dkim_selector(const std::filesystem::path& keys_dir, std::string_view domain, std::string_view selector);

}  // namespace pochta::mailauth
