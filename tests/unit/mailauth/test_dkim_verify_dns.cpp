// verify_dkim() against a real UDP responder: the key lookups, one verdict
// per signature in order, DNS failures, and `done` never inside the call.
#include <catch2/catch.hpp>

#include <optional>

#include "common/util/strings.hpp"
#include "mailauth/dkim_sign.hpp"
#include "mailauth/dkim_verify.hpp"
#include "tests/unit/support/fake_dns.hpp"

using namespace pochta;
using namespace pochta::mailauth;
using namespace std::chrono_literals;
using dns::test::FakeAnswer;
using dns::test::FakeDns;

namespace {

const std::string message = "From: a@example.org\r\nSubject: s\r\n\r\nbody\r\n";

struct Verifier {
    FakeDns dns;
    net::EventLoop loop;
    std::unique_ptr<dns::Resolver> resolver;

    Verifier() { resolver = std::make_unique<dns::Resolver>(loop, dns.resolver_options()); }

    std::string sign_and_publish(DkimKeyType type, const std::string& selector) {
        DkimSigningKey key{"example.org", selector, type, generate_private_key(type)};
        DkimKeyInfo info{"example.org", selector, type, base64_encode(public_key_record_bytes(key.key.get(), type)),
                         true, {}};
        dns.add(dkim_record_name(info), {dns::test::type_txt, dkim_record_value(info)});
        return dkim_signature_field(message, key, std::time(nullptr));
    }

    std::vector<DkimVerdict> verify(const std::string& text) {
        std::optional<std::vector<DkimVerdict>> verdicts;
        bool inside_call = true, answered_inside = false;
        verify_dkim(*resolver, prepare_dkim(text), [&](std::vector<DkimVerdict> v) {
            answered_inside = inside_call;
            verdicts = std::move(v);
            loop.stop();
        });
        inside_call = false;
        auto deadline = loop.start_timer(5s, [&] { loop.stop(); });
        loop.run();
        REQUIRE(verdicts);
        CHECK_FALSE(answered_inside);
        return *verdicts;
    }
};

}  // namespace

TEST_CASE("verify_dkim: rsa and ed25519 keys from DNS (the rsa record in several strings)", "[dkim]") {
    Verifier v;
    std::string fields = v.sign_and_publish(DkimKeyType::rsa, "r") + v.sign_and_publish(DkimKeyType::ed25519, "e");
    auto verdicts = v.verify(fields + message);
    REQUIRE(verdicts.size() == 2);
    CHECK(verdicts[0].result == DkimResult::pass);
    CHECK(verdicts[0].selector == "r");
    CHECK(verdicts[1].result == DkimResult::pass);
    CHECK(verdicts[1].algorithm == "ed25519-sha256");
}

TEST_CASE("verify_dkim: no signature, broken ones, DNS failures", "[dkim]") {
    Verifier v;
    CHECK(v.verify(message).empty());
    auto broken = v.verify("DKIM-Signature: v=1; a=rsa-sha1; d=e.org; s=s; h=from; bh=YWJj; b=YWJj\r\n" + message);
    REQUIRE(broken.size() == 1);
    CHECK(broken[0].result == DkimResult::permerror);

    std::string fields = v.sign_and_publish(DkimKeyType::ed25519, "e");
    v.dns.set("e._domainkey.example.org", dns::test::type_txt, FakeAnswer{FakeAnswer::Kind::servfail, {}});
    CHECK(v.verify(fields + message)[0].result == DkimResult::temperror);
    v.dns.set("e._domainkey.example.org", dns::test::type_txt, FakeAnswer{FakeAnswer::Kind::nxdomain, {}});
    CHECK(v.verify(fields + message)[0].result == DkimResult::permerror);
}
