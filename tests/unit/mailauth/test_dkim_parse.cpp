// DKIM tag lists, DKIM-Signature fields and key records (RFC 6376 3.2,
// 3.5, 3.6.1; RFC 8301; RFC 8463).
#include <catch2/catch.hpp>

#include "mailauth/dkim_key_record.hpp"
#include "mailauth/dkim_signature.hpp"
#include "mailauth/dkim_tags.hpp"

using namespace pochta::mailauth;

namespace {

constexpr int64_t now = 1700000000;
const std::string good =
    "v=1; a=rsa-sha256; c=relaxed/simple; d=Example.org; s=sel;\r\n"
    "\th=From:To:Subject; bh=YWJj; b=ZG\r\n\t VmZw==";

std::string with(std::string extra) { return good + "; " + extra; }

}  // namespace

TEST_CASE("tag list: names, values, spans, folding") {
    std::string text = " a = 1 ;b=two words\r\n\t more; c=;";
    auto list = parse_dkim_tag_list(text);
    REQUIRE(list.error.empty());
    REQUIRE(list.tags.size() == 3);
    CHECK(list.find("a")->value == "1");
    CHECK(list.find("b")->value == "two words\r\n\t more");
    CHECK(list.find("c")->value.empty());
    CHECK(text.substr(list.find("a")->value_begin, list.find("a")->value_end - list.find("a")->value_begin) == " 1 ");
    CHECK(list.find("A") == nullptr);   // names are case-sensitive
}

TEST_CASE("tag list: errors") {
    CHECK(!parse_dkim_tag_list("a=1; a=2").error.empty());
    CHECK(!parse_dkim_tag_list("a").error.empty());
    CHECK(!parse_dkim_tag_list("1a=x").error.empty());
    CHECK(!parse_dkim_tag_list("a b=x").error.empty());
    CHECK(!parse_dkim_tag_list(std::string("a=\x01")).error.empty());
    std::string many;
    for (int i = 0; i < 65; i++) many += "t" + std::to_string(i) + "=x;";
    CHECK(parse_dkim_tag_list(many).error == "too many tags");
    CHECK(parse_dkim_tag_list(std::string(70000, ' ')).error == "tag list too long");
    CHECK(parse_dkim_tag_list(";;a=1;;").error.empty());
}

TEST_CASE("signature: a valid field") {
    auto p = parse_dkim_signature(good, now);
    REQUIRE(p.error.empty());
    const auto& s = *p.signature;
    CHECK(s.domain == "example.org");
    CHECK(s.selector == "sel");
    CHECK(s.key_type == DkimKeyType::rsa);
    CHECK(s.header_canon == DkimCanon::relaxed);
    CHECK(s.body_canon == DkimCanon::simple);
    CHECK(s.signed_fields == std::vector<std::string>{"from", "to", "subject"});
    CHECK(s.identity == "@example.org");
    CHECK(s.body_hash == "abc");
    CHECK(s.signature == "defg");
    CHECK(s.b_text == "ZGVmZw==");
    CHECK(!s.body_length);
}

TEST_CASE("signature: optional tags") {
    auto p = parse_dkim_signature(with("l=42; t=1600000000; x=1800000000; i=user@sub.example.org; q=dns/txt"), now);
    REQUIRE(p.error.empty());
    CHECK(*p.signature->body_length == 42);
    CHECK(*p.signature->timestamp == 1600000000);
    CHECK(p.signature->identity == "user@sub.example.org");
    auto ed = parse_dkim_signature("v=1; a=ed25519-sha256; d=e.org; s=s; h=from; bh=YWJj; b=YWJj", now);
    REQUIRE(ed.error.empty());
    CHECK(ed.signature->key_type == DkimKeyType::ed25519);
    CHECK(ed.signature->header_canon == DkimCanon::simple);
}

TEST_CASE("signature: what makes it unusable") {
    auto error = [](const std::string& text) { return parse_dkim_signature(text, now).error; };
    CHECK(error("v=1; a=rsa-sha256; d=e.org; s=s; h=from; bh=YWJj") == "missing b= tag");
    CHECK(error("v=2; a=rsa-sha256; d=e.org; s=s; h=from; bh=YWJj; b=YWJj").find("version") != std::string::npos);
    CHECK(error("v=1; a=rsa-sha1; d=e.org; s=s; h=from; bh=YWJj; b=YWJj") == "rsa-sha1 is not accepted (RFC 8301)");
    CHECK(error("v=1; a=rsa-sha256; d=e.org; s=s; h=to:subject; bh=YWJj; b=YWJj") == "h= does not include From");
    CHECK(error(with("i=user@other.org")) == "i= is not within d=");
    CHECK(error(with("i=user@badexample.org")) == "i= is not within d=");
    CHECK(error(with("x=1600000000")) == "signature expired (x=)");
    CHECK(error(with("t=1650000000; x=1640000000")) == "x= before t=");
    CHECK(error(with("l=-1")) == "bad l=");
    CHECK(error(with("l=99999999999999999999999")) == "bad l=");
    CHECK(error("v=1; a=rsa-sha256; c=fancy; d=e.org; s=s; h=from; bh=YWJj; b=YWJj").find("canonicalization") != std::string::npos);
    CHECK(error(with("q=http")).find("query method") != std::string::npos);
    CHECK(error("v=1; a=rsa-sha256; d=e.org; s=s; h=from; bh=!!; b=YWJj") == "bh= is not base64");
    auto broken = parse_dkim_signature("v=1; a=rsa-sha1; d=E.org; s=s1; h=from; bh=YWJj; b=YW Jj", now);
    CHECK(broken.domain == "e.org");   // what the verdict can still name
    CHECK(broken.selector == "s1");
    CHECK(broken.b_text == "YWJj");
}

TEST_CASE("key record") {
    auto rsa = parse_dkim_key_record("v=DKIM1; k=rsa; p=YWJj");
    REQUIRE(rsa.error.empty());
    CHECK(rsa.record.type == DkimKeyType::rsa);
    CHECK(rsa.record.public_key == "abc");
    auto ed = parse_dkim_key_record("k=ed25519; t=y:s; p=YW\r\n Jj");
    REQUIRE(ed.error.empty());
    CHECK(ed.record.type == DkimKeyType::ed25519);
    CHECK(ed.record.testing);
    CHECK(ed.record.strict_identity);
    auto revoked = parse_dkim_key_record("v=DKIM1; p=");
    CHECK(revoked.error.empty());
    CHECK(revoked.record.public_key.empty());
    CHECK(parse_dkim_key_record("p=YWJj; v=DKIM1").error == "v= is not the first tag");
    CHECK(!parse_dkim_key_record("v=DKIM2; p=YWJj").error.empty());
    CHECK(parse_dkim_key_record("h=sha1; p=YWJj").error == "h= does not allow sha256");
    CHECK(parse_dkim_key_record("h=sha1:sha256; s=email; p=YWJj").error.empty());
    CHECK(parse_dkim_key_record("s=*; p=YWJj").error.empty());
    CHECK(parse_dkim_key_record("s=tlsrpt; p=YWJj").error == "s= does not allow email");
    CHECK(!parse_dkim_key_record("k=dsa; p=YWJj").error.empty());
    CHECK(parse_dkim_key_record("v=DKIM1; k=rsa").error == "missing p= tag");
    CHECK(parse_dkim_key_record("p=%%%").error == "p= is not base64");
}
