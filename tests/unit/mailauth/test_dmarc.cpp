#include <catch2/catch.hpp>

#include <map>

#include "mailauth/dmarc.hpp"
#include "mailauth/dmarc_author.hpp"
#include "mailauth/public_suffix.hpp"

using namespace pochta;
using namespace pochta::mailauth;

TEST_CASE("organisational domains come from the public suffix list") {
    CHECK(organizational_domain("mail.example.org") == "example.org");
    CHECK(organizational_domain("a.b.Example.CO.UK.") == "example.co.uk");
    CHECK(organizational_domain("example.org") == "example.org");
    CHECK(organizational_domain("org") == "org");
    CHECK(organizational_domain("co.uk") == "co.uk");
}

TEST_CASE("alignment, relaxed and strict") {
    CHECK(is_aligned("example.org", "mail.example.org", Alignment::relaxed));
    CHECK_FALSE(is_aligned("example.org", "mail.example.org", Alignment::strict));
    CHECK(is_aligned("example.org", "EXAMPLE.org", Alignment::strict));
    CHECK_FALSE(is_aligned("example.org", "example.net", Alignment::relaxed));
    CHECK_FALSE(is_aligned("a.co.uk", "b.co.uk", Alignment::relaxed));
    CHECK_FALSE(is_aligned("example.org", "", Alignment::relaxed));
}

namespace {

DmarcRecord record(DmarcPolicy p, unsigned pct = 100) {
    DmarcRecord r;
    r.policy = p;
    r.percent = pct;
    return r;
}

}  // namespace

TEST_CASE("evaluate_dmarc: pass by SPF or DKIM alignment") {
    DmarcInputs in{"example.org", true, "bounce.example.org", {}};
    auto out = evaluate_dmarc(record(DmarcPolicy::reject), in, "example.org", 0);
    CHECK(out.result == DmarcResult::pass);
    CHECK(out.spf_aligned);
    CHECK(out.disposition == DmarcPolicy::none);

    in = DmarcInputs{"example.org", true, "other.net", {"other.net", "example.org"}};
    out = evaluate_dmarc(record(DmarcPolicy::reject), in, "example.org", 0);
    CHECK(out.result == DmarcResult::pass);
    CHECK(out.dkim_aligned);
    CHECK_FALSE(out.spf_aligned);
}

TEST_CASE("evaluate_dmarc: failure, sp for subdomains, pct") {
    DmarcInputs in{"news.example.org", false, "example.org", {"other.net"}};
    DmarcRecord r = record(DmarcPolicy::reject);
    r.subdomain_policy = DmarcPolicy::quarantine;
    auto out = evaluate_dmarc(r, in, "example.org", 0);
    CHECK(out.result == DmarcResult::fail);
    CHECK(out.policy == DmarcPolicy::quarantine);
    CHECK(out.disposition == DmarcPolicy::quarantine);
    // Found at the From domain itself: p applies.
    out = evaluate_dmarc(r, in, "news.example.org", 0);
    CHECK(out.policy == DmarcPolicy::reject);
    // np for a From domain that does not exist.
    r.nonexistent_policy = DmarcPolicy::reject;
    CHECK(evaluate_dmarc(r, in, "example.org", 0, false).policy == DmarcPolicy::reject);
    // pct: the roll decides; left out means one step milder.
    auto sampled = evaluate_dmarc(record(DmarcPolicy::reject, 30), in, "news.example.org", 30);
    CHECK(sampled.sampled_out);
    CHECK(sampled.disposition == DmarcPolicy::quarantine);
    CHECK(evaluate_dmarc(record(DmarcPolicy::reject, 30), in, "news.example.org", 29).disposition ==
          DmarcPolicy::reject);
    CHECK(evaluate_dmarc(record(DmarcPolicy::quarantine, 0), in, "news.example.org", 0).disposition ==
          DmarcPolicy::none);
    CHECK(evaluate_dmarc(record(DmarcPolicy::reject, 100), in, "news.example.org", 99).disposition ==
          DmarcPolicy::reject);
}

TEST_CASE("evaluate_dmarc: strict alignment") {
    DmarcRecord r = record(DmarcPolicy::reject);
    r.spf_alignment = Alignment::strict;
    r.dkim_alignment = Alignment::strict;
    DmarcInputs in{"example.org", true, "mail.example.org", {"mail.example.org"}};
    CHECK(evaluate_dmarc(r, in, "example.org", 0).result == DmarcResult::fail);
}

namespace {

struct FakeTxt {
    std::map<std::string, dns::TxtResult> answers;
    std::vector<std::string> asked;

    TxtLookup lookup() {
        return [this](const std::string& name, std::function<void(dns::TxtResult)> done) {
            asked.push_back(name);
            auto it = answers.find(name);
            if (it == answers.end()) return done(dns::TxtResult{dns::Error::nxdomain, "no such name", {}});
            done(it->second);
        };
    }
    void add(const std::string& name, std::vector<std::string> records) {
        answers[name] = dns::TxtResult{dns::Error::none, {}, std::move(records)};
    }
};

DmarcOutcome run(FakeTxt& dns, DmarcInputs in) {
    DmarcOutcome got;
    bool called = false;
    check_dmarc(dns.lookup(), std::move(in), [&](DmarcOutcome out) {
        got = std::move(out);
        called = true;
    });
    REQUIRE(called);
    return got;
}

}  // namespace

TEST_CASE("policy discovery: From domain, then organisational domain") {
    FakeTxt dns;
    dns.add("_dmarc.example.org", {"v=spf1 -all", "v=DMARC1; p=reject; sp=none"});
    auto out = run(dns, {"Mail.Example.org", false, "", {}});
    CHECK(dns.asked == std::vector<std::string>{"_dmarc.mail.example.org", "_dmarc.example.org"});
    CHECK(out.result == DmarcResult::fail);
    CHECK(out.policy_domain == "example.org");
    CHECK(out.from_domain == "mail.example.org");
    CHECK(out.policy == DmarcPolicy::none);

    FakeTxt none;
    CHECK(run(none, {"example.org", false, "", {}}).result == DmarcResult::none);
    CHECK(none.asked.size() == 1);  // the From domain is the organisational domain
}

TEST_CASE("policy discovery: several records, invalid records, DNS failures") {
    FakeTxt several;
    several.add("_dmarc.example.org", {"v=DMARC1; p=reject", "v=DMARC1; p=none"});
    CHECK(run(several, {"example.org", false, "", {}}).result == DmarcResult::none);

    FakeTxt invalid;
    invalid.add("_dmarc.example.org", {"v=DMARC1; p=bogus"});
    auto out = run(invalid, {"example.org", false, "", {}});
    CHECK(out.result == DmarcResult::permerror);
    CHECK(out.reason == "invalid p tag");

    FakeTxt failing;
    failing.answers["_dmarc.example.org"] = dns::TxtResult{dns::Error::temporary, "timeout", {}};
    out = run(failing, {"example.org", true, "example.org", {}});
    CHECK(out.result == DmarcResult::temperror);
    CHECK(out.disposition == DmarcPolicy::none);
}

TEST_CASE("policy discovery: np asks whether the From domain exists") {
    FakeTxt dns;
    dns.add("_dmarc.example.org", {"v=DMARC1; p=none; sp=quarantine; np=reject"});
    CHECK(run(dns, {"ghost.example.org", false, "", {}}).policy == DmarcPolicy::reject);
    dns.add("real.example.org", {});
    CHECK(run(dns, {"real.example.org", false, "", {}}).policy == DmarcPolicy::quarantine);
}

TEST_CASE("the author domain of the From field") {
    CHECK(find_author("From: A <a@Example.ORG>\r\nTo: b@x\r\n\r\nFrom: body@y\r\n").domain == "example.org");
    CHECK(find_author("From: a@example.org, b@EXAMPLE.org\r\n\r\n").status == AuthorStatus::one_domain);
    CHECK(find_author("From: a@example.org, b@example.net\r\n\r\n").status == AuthorStatus::several_domains);
    CHECK(find_author("From: a@example.org\r\nfrom: b@example.org\r\n\r\n").status == AuthorStatus::several_from);
    CHECK(find_author("To: b@x\r\n\r\n").status == AuthorStatus::no_from);
    CHECK(find_author("From: undisclosed\r\n\r\n").status == AuthorStatus::no_domain);
    CHECK(find_author("From: a@[192.0.2.1]\r\n\r\n").status == AuthorStatus::no_domain);
    CHECK(find_author("From: Group: a@example.org;\r\n\r\n").domain == "example.org");
}
