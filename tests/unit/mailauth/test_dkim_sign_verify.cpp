// Signing and verifying against each other, key by key (the independent
// oracle, dkimpy, is in tests/integration/test_dkim_oracle.py).
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <fstream>

#include "common/util/strings.hpp"
#include "mailauth/dkim_sign.hpp"
#include "mailauth/dkim_verify.hpp"
#include "tests/unit/config/temp_dir.hpp"

using namespace pochta;
using namespace pochta::mailauth;

namespace {

const std::string message =
    "From: Alice <alice@example.org>\r\n"
    "To: bob@remote.example\r\n"
    "Subject: a folded\r\n"
    "  subject   \r\n"
    "Date: Mon, 1 Jan 2024 00:00:00 +0000\r\n"
    "Message-ID: <1@example.org>\r\n"
    "X-Unsigned: yes\r\n"
    "\r\n"
    "Hello  \r\n"
    "\r\n"
    "\r\n";

DkimSigningKey make_key(DkimKeyType type, std::string domain = "example.org") {
    return DkimSigningKey{std::move(domain), "sel", type, generate_private_key(type)};
}

dns::TxtResult record_for(const DkimSigningKey& key, std::string extra = "") {
    DkimKeyInfo info{key.domain, key.selector, key.type,
                     base64_encode(public_key_record_bytes(key.key.get(), key.type)), true, {}};
    dns::TxtResult r;
    r.records.push_back(dkim_record_value(info) + extra);
    return r;
}

DkimVerdict verify_one(const std::string& signed_message, const dns::TxtResult& records) {
    auto checks = prepare_dkim(signed_message);
    REQUIRE(dkim_signature_count(*checks) == 1);
    return judge_dkim_signature(*checks, 0, records);
}

int64_t now() { return std::time(nullptr); }

}  // namespace

TEST_CASE("signed fields: those present, From once more") {
    auto names = dkim_fields_to_sign(message);
    CHECK(names == std::vector<std::string>{"from", "from", "subject", "date", "message-id", "to"});
    CHECK(dkim_fields_to_sign("Subject: x\r\n\r\n") == std::vector<std::string>{"from", "subject"});
}

TEST_CASE("From domain") {
    CHECK(from_domain(message) == "example.org");
    CHECK(from_domain("From: \"x, y\" <a@Sub.Example.ORG>, b@c.example\r\n\r\n") == "sub.example.org");
    CHECK(from_domain("To: a@b.example\r\n\r\n") == "");
}

TEST_CASE("sign and verify, rsa and ed25519") {
    for (auto type : {DkimKeyType::rsa, DkimKeyType::ed25519}) {
        auto key = make_key(type);
        std::string field = dkim_signature_field(message, key, now());
        for (std::string_view line : split(field, '\n')) CHECK(line.size() <= 80);
        auto verdict = verify_one(field + message, record_for(key));
        CHECK(verdict.result == DkimResult::pass);
        CHECK(verdict.reason == "");
        CHECK(verdict.domain == "example.org");
        CHECK(verdict.selector == "sel");
        CHECK(verdict.algorithm == (type == DkimKeyType::rsa ? "rsa-sha256" : "ed25519-sha256"));
        CHECK(field.find(verdict.header_b.substr(0, 20)) != std::string::npos);
    }
}

TEST_CASE("tampering fails") {
    auto key = make_key(DkimKeyType::ed25519);
    std::string signed_message = dkim_signature_field(message, key, now()) + message;
    auto body_changed = signed_message;
    body_changed.replace(body_changed.find("Hello"), 5, "Hallo");
    CHECK(verify_one(body_changed, record_for(key)).reason == "body hash mismatch");
    auto subject_changed = signed_message;
    subject_changed.replace(subject_changed.find("folded"), 6, "FOLDED");
    CHECK(verify_one(subject_changed, record_for(key)).reason == "signature did not verify");
}

TEST_CASE("a second From cannot be added; unsigned fields can change") {
    auto key = make_key(DkimKeyType::rsa);
    std::string signed_message = dkim_signature_field(message, key, now()) + message;
    auto extra_from = signed_message;
    extra_from.insert(extra_from.find("To:"), "From: mallory@evil.example\r\n");
    CHECK(verify_one(extra_from, record_for(key)).result == DkimResult::fail);
    auto unsigned_changed = signed_message;
    unsigned_changed.replace(unsigned_changed.find("X-Unsigned: yes"), 15, "X-Unsigned:   no");
    CHECK(verify_one(unsigned_changed, record_for(key)).result == DkimResult::pass);
    auto relaxed_whitespace = signed_message;
    relaxed_whitespace.replace(relaxed_whitespace.find("Hello  "), 7, "Hello");
    CHECK(verify_one(relaxed_whitespace, record_for(key)).result == DkimResult::pass);
}

TEST_CASE("bare LF messages verify like CRLF ones") {
    auto key = make_key(DkimKeyType::rsa);
    std::string signed_message = dkim_signature_field(message, key, now()) + message;
    std::string lf;
    for (size_t i = 0; i < signed_message.size(); i++)
        if (!(signed_message[i] == '\r' && i + 1 < signed_message.size() && signed_message[i + 1] == '\n'))
            lf += signed_message[i];
    CHECK(verify_one(lf, record_for(key)).result == DkimResult::pass);
}

TEST_CASE("key problems") {
    auto key = make_key(DkimKeyType::rsa);
    std::string signed_message = dkim_signature_field(message, key, now()) + message;
    auto other = make_key(DkimKeyType::rsa);
    CHECK(verify_one(signed_message, record_for(other)).reason == "signature did not verify");
    dns::TxtResult revoked;
    revoked.records = {"v=DKIM1; p="};
    CHECK(verify_one(signed_message, revoked).result == DkimResult::permerror);
    dns::TxtResult temporary;
    temporary.error = dns::Error::temporary;
    CHECK(verify_one(signed_message, temporary).result == DkimResult::temperror);
    dns::TxtResult missing;
    missing.error = dns::Error::nxdomain;
    CHECK(verify_one(signed_message, missing).result == DkimResult::permerror);
    auto ed = make_key(DkimKeyType::ed25519);
    CHECK(verify_one(signed_message, record_for(ed)).reason == "key type does not match a=");
    dns::TxtResult several = record_for(key);
    several.records.insert(several.records.begin(), "not a key record");
    CHECK(verify_one(signed_message, several).result == DkimResult::pass);
    CHECK(verify_one(signed_message, record_for(key, "; t=y")).reason == "key in testing mode (t=y)");
}

TEST_CASE("RSA keys under 1024 bits fail (RFC 8301)") {
    DkimSigningKey small{"example.org", "sel", DkimKeyType::rsa, PKey(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{768}), EVP_PKEY_free)};
    REQUIRE(small.key);
    std::string signed_message = dkim_signature_field(message, small, now()) + message;
    auto verdict = verify_one(signed_message, record_for(small));
    CHECK(verdict.result == DkimResult::fail);
    CHECK(verdict.reason == "RSA key of 768 bits, under 1024 (RFC 8301)");
}

TEST_CASE("l= shorter than the body: policy, not pass") {
    // pochta never signs with l=: the field is made by hand here.
    auto key = make_key(DkimKeyType::ed25519);
    auto sign_with_l = [&](const std::string& text, uint64_t l) {
        auto split = split_message(text);
        auto body = hash_body(split.body, DkimCanon::relaxed, l);
        std::string field =
            "DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed; d=example.org; s=sel; l=" + std::to_string(l) +
            "; h=from; bh=" + base64_encode(std::string_view(reinterpret_cast<const char*>(body.hash.data()), 32)) +
            "; b=";
        auto hash = hash_headers(split.fields, {"from"}, field, DkimCanon::relaxed);
        return field + base64_encode(sign_hash(key.key.get(), key.type, hash)) + "\r\n";
    };
    CHECK(verify_one(sign_with_l(message, 7) + message, record_for(key)).result == DkimResult::pass);
    auto partial = verify_one(sign_with_l(message, 5) + message, record_for(key));
    CHECK(partial.result == DkimResult::policy);
    CHECK(partial.reason == "l= covers 5 of 7 body bytes");
    auto appended = sign_with_l(message, 7) + message + "More text\r\n";
    CHECK(verify_one(appended, record_for(key)).result == DkimResult::policy);
    auto too_long = verify_one(sign_with_l(message, 7) + "From: a@example.org\r\n\r\nHi\r\n", record_for(key));
    CHECK(too_long.reason == "l= is longer than the body");
}

TEST_CASE("at most five signatures are evaluated") {
    std::string many;
    for (int i = 0; i < 7; i++) many += "DKIM-Signature: v=1; a=rsa-sha1; d=e.org; s=s; h=from; bh=YWJj; b=YWJj\r\n";
    auto checks = prepare_dkim(many + message);
    CHECK(dkim_signature_count(*checks) == max_dkim_signatures);
    CHECK(judge_dkim_signature(*checks, 0, {}).result == DkimResult::permerror);
}

TEST_CASE("keys folder: keygen, list, use, modes; the signer follows without restart") {
    test::TempDir dir;
    const auto keys_dir = dir.path() / "dkim";
    DkimSigner signer(keys_dir, std::chrono::seconds{0});
    CHECK(signer.sign(message, "example.org") == "");

    auto first = generate_dkim_key(keys_dir, "Example.org", "one", DkimKeyType::rsa);
    CHECK(first.active);
    CHECK(first.domain == "example.org");
    struct stat st {};
    REQUIRE(stat(first.file.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    REQUIRE(stat((keys_dir / "example.org").c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0700);
    CHECK_THROWS(generate_dkim_key(keys_dir, "example.org", "one", DkimKeyType::rsa));
    CHECK_THROWS(generate_dkim_key(keys_dir, "example.org", "Bad_Selector", DkimKeyType::rsa));

    std::string fields = signer.sign(message, "");
    CHECK(fields.find("d=example.org; s=one;") != std::string::npos);
    auto verdict = verify_one(fields + message, dns::TxtResult{dns::Error::none, "", {dkim_record_value(first)}});
    CHECK(verdict.result == DkimResult::pass);

    auto second = generate_dkim_key(keys_dir, "example.org", "two", DkimKeyType::rsa);
    CHECK(!second.active);
    auto ed = generate_dkim_key(keys_dir, "example.org", "ed", DkimKeyType::ed25519);
    CHECK(ed.active);
    fields = signer.sign(message, "");
    CHECK(fields.find("s=one;") != std::string::npos);
    CHECK(fields.find("a=ed25519-sha256") != std::string::npos);

    activate_dkim_selector(keys_dir, "example.org", "two");
    fields = signer.sign(message, "");
    CHECK(fields.find("s=two;") != std::string::npos);
    CHECK(fields.find("s=one;") == std::string::npos);
    CHECK_THROWS(activate_dkim_selector(keys_dir, "example.org", "three"));

    auto keys = list_dkim_keys(keys_dir);
    REQUIRE(keys.size() == 3);
    CHECK(keys[0].selector == "one");
    CHECK(!keys[0].active);
    CHECK(keys[1].selector == "two");
    CHECK(keys[1].active);
    CHECK(keys[2].type == DkimKeyType::ed25519);
    CHECK(dkim_record_name(keys[2]) == "ed._domainkey.example.org");
    CHECK(dkim_record_value(keys[2]).starts_with("v=DKIM1; k=ed25519; p="));
}

TEST_CASE("the signer picks the From domain, its parent, then the envelope domain") {
    test::TempDir dir;
    const auto keys_dir = dir.path() / "dkim";
    generate_dkim_key(keys_dir, "example.org", "s", DkimKeyType::ed25519);
    generate_dkim_key(keys_dir, "other.example", "s", DkimKeyType::ed25519);
    DkimSigner signer(keys_dir);
    CHECK(signer.sign("From: a@mail.example.org\r\n\r\n", "").find("d=example.org;") != std::string::npos);
    CHECK(signer.sign("From: a@unknown.example\r\n\r\n", "other.example").find("d=other.example;") !=
          std::string::npos);
    CHECK(signer.sign("From: a@unknown.example\r\n\r\n", "nope.example") == "");
}

TEST_CASE("the signer trusts what it read for its look period; reload() looks at once") {
    test::TempDir dir;
    const auto keys_dir = dir.path() / "dkim";
    generate_dkim_key(keys_dir, "example.org", "one", DkimKeyType::ed25519);
    DkimSigner signer(keys_dir, std::chrono::hours{1});
    CHECK(signer.sign(message, "").find("s=one;") != std::string::npos);
    generate_dkim_key(keys_dir, "example.org", "two", DkimKeyType::ed25519);
    activate_dkim_selector(keys_dir, "example.org", "two");
    CHECK(signer.sign(message, "").find("s=one;") != std::string::npos);
    signer.reload();
    CHECK(signer.sign(message, "").find("s=two;") != std::string::npos);
}

TEST_CASE("TXT strings of at most 255 bytes") {
    std::string value(600, 'x');
    auto parts = split_txt_strings(value);
    REQUIRE(parts.size() == 3);
    CHECK(parts[0].size() == 255);
    CHECK(parts[2].size() == 90);
}
