#include <catch2/catch.hpp>

#include "mailauth/arrival_check_policy.hpp"

using namespace pochta::mailauth;

namespace {

ArrivalFacts facts_for(std::string from_domain, DmarcResult result, DmarcPolicy disposition) {
    ArrivalFacts f;
    f.spf_subject = "bounce@" + from_domain;
    f.spf = SpfOutcome{SpfResult::fail, from_domain, {}};
    f.author = Author{AuthorStatus::one_domain, from_domain};
    f.dmarc.result = result;
    f.dmarc.from_domain = from_domain;
    f.dmarc.policy_domain = result == DmarcResult::none ? "" : from_domain;
    f.dmarc.policy = disposition;
    f.dmarc.disposition = disposition;
    return f;
}

}  // namespace

TEST_CASE("DMARC p=reject failures are refused, quarantine goes to Junk") {
    ArrivalPolicy policy;
    auto reject = decide_arrival(facts_for("example.org", DmarcResult::fail, DmarcPolicy::reject), policy);
    CHECK(reject.action == ArrivalAction::refuse);
    CHECK(reject.reply == "550 5.7.1 Rejected by the DMARC policy of example.org");
    CHECK(decide_arrival(facts_for("example.org", DmarcResult::fail, DmarcPolicy::quarantine), policy).action ==
          ArrivalAction::junk);
    CHECK(decide_arrival(facts_for("example.org", DmarcResult::fail, DmarcPolicy::none), policy).action ==
          ArrivalAction::deliver);
    CHECK(decide_arrival(facts_for("example.org", DmarcResult::pass, DmarcPolicy::none), policy).action ==
          ArrivalAction::deliver);
    policy.dmarc_reject = false;
    CHECK(decide_arrival(facts_for("example.org", DmarcResult::fail, DmarcPolicy::reject), policy).action ==
          ArrivalAction::junk);
    policy.dmarc_quarantine = false;
    CHECK(decide_arrival(facts_for("example.org", DmarcResult::fail, DmarcPolicy::quarantine), policy).action ==
          ArrivalAction::deliver);
}

TEST_CASE("a DNS failure defers what would be refused, and never refuses") {
    auto f = facts_for("example.org", DmarcResult::fail, DmarcPolicy::reject);
    f.dkim.push_back(DkimVerdict{DkimResult::temperror, "example.org", "sel", "rsa-sha256", "abc", "DNS timeout"});
    auto d = decide_arrival(f, {});
    CHECK(d.action == ArrivalAction::defer);
    CHECK(d.reply.rfind("451 4.4.3 ", 0) == 0);
    // A DMARC record that could not be read: accepted, temperror recorded.
    CHECK(decide_arrival(facts_for("example.org", DmarcResult::temperror, DmarcPolicy::none), {}).action ==
          ArrivalAction::deliver);
}

TEST_CASE("outside mail with our domain in From must authenticate") {
    auto f = facts_for("example.test", DmarcResult::none, DmarcPolicy::none);
    f.local_author = true;
    auto d = decide_arrival(f, {});
    CHECK(d.action == ArrivalAction::refuse);
    CHECK(d.reply == "550 5.7.1 From domain example.test is ours but the message is not authenticated");
    f.spf.result = SpfResult::pass;  // aligned SPF, no DMARC record: a default record passes it
    CHECK(decide_arrival(f, {}).action == ArrivalAction::deliver);
    f.spf.result = SpfResult::temperror;
    CHECK(decide_arrival(f, {}).action == ArrivalAction::defer);
    f.spf.result = SpfResult::fail;
    CHECK(decide_arrival(f, ArrivalPolicy{.local_from = false}).action == ArrivalAction::deliver);
}

TEST_CASE("several authors are refused; SPF alone only when asked") {
    auto f = facts_for("example.org", DmarcResult::none, DmarcPolicy::none);
    f.author.status = AuthorStatus::several_from;
    CHECK(decide_arrival(f, {}).action == ArrivalAction::refuse);
    f = facts_for("example.org", DmarcResult::none, DmarcPolicy::none);
    CHECK(decide_arrival(f, {}).action == ArrivalAction::deliver);
    auto spf = decide_arrival(f, ArrivalPolicy{.spf_reject = true});
    CHECK(spf.action == ArrivalAction::refuse);
    CHECK(spf.reply == "550 5.7.23 SPF validation failed for example.org");
}

TEST_CASE("the Authentication-Results entries of an arrival") {
    auto f = facts_for("example.org", DmarcResult::fail, DmarcPolicy::reject);
    f.dmarc.disposition = DmarcPolicy::quarantine;
    f.dkim.push_back(DkimVerdict{DkimResult::fail, "example.org", "sel", "rsa-sha256", "abcdefghijklmnop", "bad"});
    auto field = format_auth_results("mx.example.test", arrival_auth_results(f));
    CHECK(field ==
          "Authentication-Results: mx.example.test;\r\n"
          "\tspf=fail smtp.mailfrom=\"bounce@example.org\";\r\n"
          "\tdkim=fail (bad) header.d=example.org header.s=sel header.b=abcdefghijkl;\r\n"
          "\tdmarc=fail (p=reject dis=quarantine) header.from=example.org policy.dmarc=reject\r\n");
    ArrivalFacts helo;
    helo.spf_identity = SpfIdentity::helo;
    helo.spf_subject = "client.example";
    helo.spf.result = SpfResult::none;
    CHECK(format_auth_results("mx", arrival_auth_results(helo)) ==
          "Authentication-Results: mx;\r\n\tspf=none smtp.helo=client.example;\r\n\tdkim=none;\r\n\tdmarc=none\r\n");
}
