#include <catch2/catch.hpp>

#include "mailauth/dmarc_record.hpp"

using namespace pochta::mailauth;

TEST_CASE("a DMARC record with every tag") {
    auto r = parse_dmarc_record("v=DMARC1; p=reject; sp=quarantine; np=none; pct=20; adkim=s; aspf=s; rua=mailto:a@b");
    REQUIRE(r.status == DmarcRecordStatus::valid);
    CHECK(r.record.policy == DmarcPolicy::reject);
    CHECK(r.record.subdomain_policy == DmarcPolicy::quarantine);
    CHECK(r.record.nonexistent_policy == DmarcPolicy::none);
    CHECK(r.record.percent == 20);
    CHECK(r.record.dkim_alignment == Alignment::strict);
    CHECK(r.record.spf_alignment == Alignment::strict);
}

TEST_CASE("DMARC record defaults, spaces and case") {
    auto r = parse_dmarc_record("  v = DMARC1 ;P=Quarantine;;  unknown=tag ; ");
    REQUIRE(r.status == DmarcRecordStatus::valid);
    CHECK(r.record.policy == DmarcPolicy::quarantine);
    CHECK_FALSE(r.record.subdomain_policy);
    CHECK(r.record.percent == 100);
    CHECK(r.record.dkim_alignment == Alignment::relaxed);
    CHECK(r.record.spf_alignment == Alignment::relaxed);
}

TEST_CASE("v=DMARC1 must come first, spelt exactly") {
    CHECK(parse_dmarc_record("p=reject; v=DMARC1").status == DmarcRecordStatus::not_dmarc);
    CHECK(parse_dmarc_record("v=dmarc1; p=reject").status == DmarcRecordStatus::not_dmarc);
    CHECK(parse_dmarc_record("v=spf1 -all").status == DmarcRecordStatus::not_dmarc);
    CHECK(parse_dmarc_record("").status == DmarcRecordStatus::not_dmarc);
    CHECK(parse_dmarc_record("v=DMARC1").status == DmarcRecordStatus::invalid);
}

TEST_CASE("a DMARC record without a usable p") {
    auto missing = parse_dmarc_record("v=DMARC1; sp=reject");
    CHECK(missing.status == DmarcRecordStatus::invalid);
    CHECK(missing.error == "no p tag");
    CHECK(parse_dmarc_record("v=DMARC1; p=drop").error == "invalid p tag");
    CHECK(parse_dmarc_record("v=DMARC1; p=reject; sp=drop").error == "invalid sp tag");
    // RFC 7489 6.6.3 step 6: a rua with a mailto: URI makes it p=none.
    auto rua = parse_dmarc_record("v=DMARC1; p=drop; sp=reject; pct=5; rua=mailto:dmarc@example.org");
    REQUIRE(rua.status == DmarcRecordStatus::valid);
    CHECK(rua.record.policy == DmarcPolicy::none);
    CHECK_FALSE(rua.record.subdomain_policy);
    CHECK(rua.record.percent == 100);
    CHECK(parse_dmarc_record("v=DMARC1; rua=https://example.org").status == DmarcRecordStatus::invalid);
}

TEST_CASE("bad optional values fall back to their defaults") {
    auto r = parse_dmarc_record("v=DMARC1; p=none; pct=101; adkim=x; aspf=");
    REQUIRE(r.status == DmarcRecordStatus::valid);
    CHECK(r.record.percent == 100);
    CHECK(r.record.dkim_alignment == Alignment::relaxed);
    CHECK(parse_dmarc_record("v=DMARC1; p=none; pct=0").record.percent == 0);
    CHECK(parse_dmarc_record("v=DMARC1; p=none; pct=-1").record.percent == 100);
}

TEST_CASE("DMARC records are bounded") {
    std::string many = "v=DMARC1; p=reject";
    for (int i = 0; i < 100; i++) many += "; x=1";
    CHECK(parse_dmarc_record(many).status == DmarcRecordStatus::invalid);
    std::string longer = "v=DMARC1; p=reject; rua=mailto:" + std::string(max_dmarc_record, 'a') + "@x";
    CHECK(parse_dmarc_record(longer).error == "record too long");
}
