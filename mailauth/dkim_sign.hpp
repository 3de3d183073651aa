// DKIM signing (README.md "DKIM signing"): relaxed/relaxed, rsa-sha256 and,
// when the domain has one, a second ed25519-sha256 signature; a fixed list
// of header fields, those present signed, From once more than it occurs so
// that no From can be added (RFC 6376 8.15); t=, never l=.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "mailauth/dkim_crypto.hpp"
#include "mailauth/dkim_keys.hpp"

namespace pochta::mailauth {

struct DkimSigningKey {
    std::string domain;
    std::string selector;
    DkimKeyType type = DkimKeyType::rsa;
    PKey key;
};

// The DKIM-Signature field (ending in CRLF) to put before `message`.
// Throws std::runtime_error when OpenSSL fails.
std::string dkim_signature_field(std::string_view message, const DkimSigningKey& key, int64_t now);

// The field names signed, in h= order, for this message.
std::vector<std::string> dkim_fields_to_sign(std::string_view message);

// The domain of the first address of the From field, lowercase; "" when none.
std::string from_domain(std::string_view message);

class DkimSigner {   // keys from the [dkim] folder, reloaded when it changes (no restart)
public:
    // `look_period`: how long the folders' state is trusted before sign()
    // looks at them again.
    explicit DkimSigner(std::filesystem::path keys_dir,
                        std::chrono::steady_clock::duration look_period = std::chrono::seconds{1});

    // The DKIM-Signature field(s), each ending in CRLF, to put before `message`;
    // signs for the From domain (or, failing that, its closest parent domain)
    // when it has an active key, else for `envelope_domain` likewise; "" when
    // none has a key. Thread-safe (called on a worker).
    std::string sign(std::string_view message, std::string_view envelope_domain);

    // Reads the folder again at the next sign() (SIGHUP: after a key file
    // was edited in place). sign() itself looks at the folders' mtimes (a
    // few stat calls) at most once per look period and rereads them when keygen or
    // `dkim use` changed them.
    void reload();

private:
    using KeyMap = std::map<std::string, std::vector<DkimSigningKey>>;   // domain -> active keys, rsa first
    std::shared_ptr<const KeyMap> current();
    std::shared_ptr<const KeyMap> load() const;
    const std::vector<DkimSigningKey>* keys_for(const KeyMap& keys, std::string_view domain) const;

    std::filesystem::path keys_dir_;
    std::mutex mutex_;
    std::shared_ptr<const KeyMap> keys_;
    std::string state_;   // what folder_state() said when keys_ was loaded
    std::chrono::steady_clock::duration look_period_;
    std::chrono::steady_clock::time_point next_look_{};   // folders not looked at again before
    std::string summary_; // the active keys, as last logged
};

}  // namespace pochta::mailauth
