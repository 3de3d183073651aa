// Fuzzes the DKIM tag-list parser and DKIM-Signature validation, and the
// whole preparation of a message (header split, canonicalisation, hashes)
// with the input as a message. Beyond "no crash": the tag spans lie inside
// the input, names are unique, the bounds hold, and a usable signature
// carries everything a verifier needs.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mailauth/dkim_signature.hpp"
#include "mailauth/dkim_tags.hpp"
#include "mailauth/dkim_verify.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace pochta::mailauth;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);

    DkimTagList list = parse_dkim_tag_list(text);
    FUZZ_CHECK(list.error.empty() || list.tags.empty());
    FUZZ_CHECK(list.tags.size() <= max_dkim_tags);
    for (size_t i = 0; i < list.tags.size(); i++) {
        const DkimTag& tag = list.tags[i];
        FUZZ_CHECK(!tag.name.empty());
        FUZZ_CHECK(tag.value_begin <= tag.value_end && tag.value_end <= text.size());
        FUZZ_CHECK(tag.value.data() >= text.data() + tag.value_begin);
        FUZZ_CHECK(tag.value.data() + tag.value.size() <= text.data() + tag.value_end);
        FUZZ_CHECK(list.find(tag.name) == &tag);
    }

    DkimSignatureParse parse = parse_dkim_signature(text, 1700000000);
    FUZZ_CHECK(parse.signature.has_value() == parse.error.empty());
    if (parse.signature) {
        const DkimSignature& sig = *parse.signature;
        FUZZ_CHECK(!sig.domain.empty() && !sig.selector.empty());
        FUZZ_CHECK(!sig.signature.empty() && !sig.body_hash.empty());
        FUZZ_CHECK(!sig.signed_fields.empty() && sig.signed_fields.size() <= max_dkim_signed_fields);
        FUZZ_CHECK(sig.algorithm == "rsa-sha256" || sig.algorithm == "ed25519-sha256");
    }

    auto checks = prepare_dkim(text, 1700000000);
    const size_t count = dkim_signature_count(*checks);
    FUZZ_CHECK(count <= max_dkim_signatures);
    // Without DNS every signature that got this far fails on the missing key.
    pochta::dns::TxtResult missing;
    missing.error = pochta::dns::Error::nxdomain;
    for (size_t i = 0; i < count; i++)
        FUZZ_CHECK(judge_dkim_signature(*checks, i, missing).result != DkimResult::pass);
    return 0;
}
