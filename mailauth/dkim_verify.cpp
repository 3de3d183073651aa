#include "mailauth/dkim_verify.hpp"

#include <fmt/format.h>

#include <chrono>
#include <map>
#include <optional>

#include "common/util/strings.hpp"
#include "mailauth/dkim_canon.hpp"
#include "mailauth/dkim_crypto.hpp"
#include "mailauth/dkim_key_record.hpp"
#include "mailauth/dkim_signature.hpp"

namespace pochta::mailauth {

struct DkimChecks {
    struct Check {
        DkimVerdict verdict;                 // final unless `needs_key`
        std::optional<DkimSignature> signature;
        Sha256 header_hash{};
        uint64_t body_length = 0;            // the whole canonical body
        bool needs_key = false;
    };
    std::vector<Check> checks;
};

namespace {

int64_t clock_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

DkimVerdict finished(DkimVerdict verdict, DkimResult result, std::string reason) {
    verdict.result = result;
    verdict.reason = std::move(reason);
    return verdict;
}

// Body hashes computed once per canonicalisation and length.
class BodyHashes {
public:
    explicit BodyHashes(std::string_view body) : body_(body) {}
    const BodyHash& get(DkimCanon canon, std::optional<uint64_t> limit) {
        auto key = std::make_pair(canon, limit);
        auto it = cache_.find(key);
        if (it == cache_.end()) it = cache_.emplace(key, hash_body(body_, canon, limit)).first;
        return it->second;
    }

private:
    std::string_view body_;
    std::map<std::pair<DkimCanon, std::optional<uint64_t>>, BodyHash> cache_;
};

DkimChecks::Check prepare_one(const SplitMessage& message, const HeaderField& field, BodyHashes& bodies,
                              int64_t now) {
    DkimChecks::Check check;
    DkimSignatureParse parse = parse_dkim_signature(field.value(), now);
    DkimVerdict& v = check.verdict;
    v.domain = parse.domain;
    v.selector = parse.selector;
    v.algorithm = parse.algorithm;
    v.header_b = parse.b_text;
    if (!parse.signature) {
        v = finished(v, DkimResult::permerror, parse.error);
        return check;
    }
    const DkimSignature& sig = *parse.signature;
    const BodyHash& body = bodies.get(sig.body_canon, sig.body_length);
    check.body_length = body.canonical_length;
    if (sig.body_length && *sig.body_length > body.canonical_length) {
        v = finished(v, DkimResult::fail, "l= is longer than the body");
        return check;
    }
    if (sig.body_hash != std::string_view(reinterpret_cast<const char*>(body.hash.data()), body.hash.size())) {
        v = finished(v, DkimResult::fail, "body hash mismatch");
        return check;
    }
    check.header_hash = hash_headers(message.fields, sig.signed_fields, field.raw, sig.header_canon);
    check.signature = parse.signature;
    check.needs_key = true;
    return check;
}

// The identity's domain for t=s (RFC 6376 3.6.1): d= itself.
bool identity_in_exact_domain(const DkimSignature& sig) {
    const size_t at = sig.identity.rfind('@');
    return at != std::string::npos && to_lower(std::string_view(sig.identity).substr(at + 1)) == sig.domain;
}

// The first record that parses as a key record, else the first one's error.
DkimKeyRecordParse pick_key_record(const std::vector<std::string>& records) {
    DkimKeyRecordParse first;
    for (size_t i = 0; i < records.size(); i++) {
        DkimKeyRecordParse parse = parse_dkim_key_record(records[i]);
        if (parse.error.empty()) return parse;
        if (i == 0) first = std::move(parse);
    }
    return first;
}

std::string key_name(const DkimSignature& sig) { return sig.selector + "._domainkey." + sig.domain; }

DkimVerdict judge_with_key(const DkimChecks::Check& check, const dns::TxtResult& answer) {
    const DkimSignature& sig = *check.signature;
    const DkimVerdict& v = check.verdict;
    switch (answer.error) {
        case dns::Error::none: break;
        case dns::Error::temporary:
            return finished(v, DkimResult::temperror, fmt::format("key lookup of {}: {}", key_name(sig), answer.message));
        default: return finished(v, DkimResult::permerror, fmt::format("no key at {}", key_name(sig)));
    }
    if (answer.records.empty()) return finished(v, DkimResult::permerror, fmt::format("no key at {}", key_name(sig)));
    DkimKeyRecordParse parse = pick_key_record(answer.records);
    if (!parse.error.empty()) return finished(v, DkimResult::permerror, "key record: " + parse.error);
    const DkimKeyRecord& record = parse.record;
    if (record.public_key.empty()) return finished(v, DkimResult::permerror, "key revoked (empty p=)");
    if (record.type != sig.key_type) return finished(v, DkimResult::permerror, "key type does not match a=");
    if (record.strict_identity && !identity_in_exact_domain(sig))
        return finished(v, DkimResult::permerror, "i= is a subdomain of d= but the key says t=s");
    PKey key = public_key_from_record(record.type, record.public_key);
    if (!key) return finished(v, DkimResult::permerror, "key record: p= is not a usable public key");
    if (record.type == DkimKeyType::rsa && key_bits(key.get()) < min_rsa_bits)
        return finished(v, DkimResult::fail, fmt::format("RSA key of {} bits, under {} (RFC 8301)",
                                                         key_bits(key.get()), min_rsa_bits));
    const std::string testing = record.testing ? "key in testing mode (t=y)" : "";
    if (!verify_hash(key.get(), record.type, check.header_hash, sig.signature))
        return finished(v, DkimResult::fail, "signature did not verify" + (testing.empty() ? "" : "; " + testing));
    if (sig.body_length && *sig.body_length < check.body_length)
        return finished(v, DkimResult::policy,
                        fmt::format("l= covers {} of {} body bytes", *sig.body_length, check.body_length));
    return finished(v, DkimResult::pass, testing);
}

}  // namespace

std::string_view dkim_result_name(DkimResult result) {
    switch (result) {
        case DkimResult::none: return "none";
        case DkimResult::pass: return "pass";
        case DkimResult::fail: return "fail";
        case DkimResult::neutral: return "neutral";
        case DkimResult::policy: return "policy";
        case DkimResult::temperror: return "temperror";
        case DkimResult::permerror: return "permerror";
    }
    return "none";
}

std::shared_ptr<DkimChecks> prepare_dkim(std::string_view message, int64_t now) {
    if (now == 0) now = clock_now();
    auto checks = std::make_shared<DkimChecks>();
    const SplitMessage split = split_message(message);
    BodyHashes bodies(split.body);
    for (const HeaderField& field : split.fields) {
        if (!iequals(field.name, "dkim-signature")) continue;
        if (checks->checks.size() == max_dkim_signatures) break;
        checks->checks.push_back(prepare_one(split, field, bodies, now));
    }
    return checks;
}

size_t dkim_signature_count(const DkimChecks& checks) { return checks.checks.size(); }

DkimVerdict judge_dkim_signature(const DkimChecks& checks, size_t index, const dns::TxtResult& key_records) {
    const auto& check = checks.checks.at(index);
    return check.needs_key ? judge_with_key(check, key_records) : check.verdict;
}

void verify_dkim(dns::Resolver& resolver, std::shared_ptr<DkimChecks> checks,
                 std::function<void(std::vector<DkimVerdict>)> done) {
    struct State {
        std::shared_ptr<DkimChecks> checks;
        std::vector<dns::TxtResult> answers;   // per signature; unused where no key is needed
        std::vector<DkimVerdict> verdicts;
        size_t waiting = 0;
        std::function<void(std::vector<DkimVerdict>)> done;
    };
    auto state = std::make_shared<State>();
    state->checks = std::move(checks);
    state->done = std::move(done);
    const auto& list = state->checks->checks;
    state->answers.resize(list.size());
    for (const auto& check : list)
        if (check.needs_key) state->waiting++;
    // Key parsing and the public-key operation take a fraction of a
    // millisecond for each of at most five signatures: about what the round
    // trip to a worker and back costs, so they run on the loop.
    auto judge_all = [state] {
        for (size_t i = 0; i < state->checks->checks.size(); i++)
            state->verdicts.push_back(judge_dkim_signature(*state->checks, i, state->answers[i]));
        state->done(std::move(state->verdicts));
    };
    if (state->waiting == 0) return resolver.loop().post(judge_all);  // never inside the call
    for (size_t i = 0; i < list.size(); i++) {
        if (!list[i].needs_key) continue;
        resolver.resolve_txt(key_name(*list[i].signature), [state, i, judge_all](dns::TxtResult answer) {
            state->answers[i] = std::move(answer);
            if (--state->waiting == 0) judge_all();
        });
    }
}

}  // namespace pochta::mailauth
