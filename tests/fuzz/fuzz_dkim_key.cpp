// Fuzzes DKIM key records (RFC 6376 3.6.1) and the public keys in them:
// whatever the record says, parsing is bounded and a key that loads is of
// the type the record names.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mailauth/dkim_crypto.hpp"
#include "mailauth/dkim_key_record.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace pochta::mailauth;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    DkimKeyRecordParse parse = parse_dkim_key_record(text);
    if (!parse.error.empty()) return 0;
    FUZZ_CHECK(parse.record.public_key.size() <= text.size());
    if (parse.record.public_key.empty()) return 0;   // revoked
    PKey key = public_key_from_record(parse.record.type, parse.record.public_key);
    if (key) {
        FUZZ_CHECK(EVP_PKEY_get_base_id(key.get()) ==
                   (parse.record.type == DkimKeyType::rsa ? EVP_PKEY_RSA : EVP_PKEY_ED25519));
        Sha256 hash{};
        FUZZ_CHECK(!verify_hash(key.get(), parse.record.type, hash, "not a signature"));
    }
    return 0;
}
