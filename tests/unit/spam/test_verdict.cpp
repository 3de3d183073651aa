// Reputation and the verdict (README.md, "Spam").
#include <catch2/catch.hpp>

#include "spam/filter.hpp"
#include "spam/reputation.hpp"
#include "spam/verdict.hpp"

using namespace pochta;
using namespace pochta::spam;

namespace {

double sum(const std::vector<Signal>& signals) {
    double total = 0;
    for (const auto& s : signals) total += s.points;
    return total;
}

}  // namespace

TEST_CASE("networks are /24 and /64", "[spam][reputation]") {
    CHECK(network_of("192.0.2.77") == "192.0.2.0/24");
    CHECK(network_of("2001:db8:1:2:3:4:5:6") == "2001:db8:1:2::/64");
    CHECK(network_of("nonsense").empty());
}

TEST_CASE("sender keys: address, verified domains once, network", "[spam][reputation]") {
    SenderFacts f{"Friend@Elsewhere.Example", {"elsewhere.example", "elsewhere.example", "relay.example"}, "192.0.2.9"};
    auto keys = sender_keys(f);
    REQUIRE(keys.size() == 4);
    CHECK(keys[0] == store::SenderKey{"address", "friend@elsewhere.example"});
    CHECK(keys[1] == store::SenderKey{"domain", "elsewhere.example"});
    CHECK(keys[2] == store::SenderKey{"domain", "relay.example"});
    CHECK(keys[3] == store::SenderKey{"network", "192.0.2.0/24"});
}

TEST_CASE("history: written to and kept are trusted only when verified; junked always counts", "[spam][reputation]") {
    SenderFacts verified{"friend@elsewhere.example", {"elsewhere.example"}, "192.0.2.9"};
    SenderFacts forged{"friend@elsewhere.example", {}, "192.0.2.9"};
    std::vector<store::SenderHistory> written{{{"address", "friend@elsewhere.example"}, 0, 0, 3}};
    CHECK(sum(reputation_signals(verified, written)) < -5);
    CHECK(reputation_signals(forged, written).empty());
    std::vector<store::SenderHistory> junked{{{"address", "friend@elsewhere.example"}, 0, 4, 0},
                                             {{"network", "192.0.2.0/24"}, 0, 2, 0}};
    CHECK(sum(reputation_signals(forged, junked)) > 5);
    std::vector<store::SenderHistory> kept{{{"domain", "elsewhere.example"}, 5, 1, 0}};
    CHECK(sum(reputation_signals(verified, kept)) < 0);
}

TEST_CASE("thresholds decide; GTUBE always refused", "[spam][verdict]") {
    Config::Spam::Thresholds t{5.0, 15.0};
    CHECK(decide({}, t).action == Action::inbox);
    CHECK(decide({{"A", "", 5.0}}, t).action == Action::junk);
    CHECK(decide({{"A", "", 10.0}, {"B", "", 5.0}}, t).action == Action::reject);
    CHECK(decide({gtube_signal(), {"SENDER_ADDRESS_WRITTEN_TO", "", -10}}, t).action == Action::reject);
}

TEST_CASE("the X-Spam-Status field is folded, printable and ends in CRLF", "[spam][verdict]") {
    Verdict v = decide({{"BAYES", "0.998", 7.97}, {"SENDER_ADDRESS_JUNKED", "evil\r\nX-Injected: 1", 5}},
                       {5.0, 15.0});
    std::string field = status_field(v);
    CHECK(field.rfind("X-Spam-Status: Yes, score=13.0 junk=5.0 reject=15.0 action=junk\r\n\ttests=BAYES(0.998)=7.97,", 0) ==
          0);
    CHECK(field.find("\r\nX-Injected") == std::string::npos);
    CHECK(field.substr(field.size() - 2) == "\r\n");
    CHECK(status_field(decide({}, {5.0, 15.0})).find("X-Spam-Status: No, score=0.0") == 0);
    CHECK(log_summary(v).rfind("score=13.0 action=junk tests=BAYES(0.998)=7.97,SENDER_ADDRESS_JUNKED(", 0) == 0);
}

TEST_CASE("judge_with_profile: per-user thresholds and an untrained account", "[spam][verdict]") {
    Config::Spam config;
    config.users["strict@example.org"] = {1.0, 15.0};
    SenderFacts sender{"x@y.example", {}, "192.0.2.1"};
    std::vector<Signal> shared{{"BLOCKLIST", "zen.example:192.0.2.1:127.0.0.2", 3.0}};
    store::SpamProfile untrained;
    CHECK(judge_with_profile(config, "alice@example.org", sender, shared, untrained).action == Action::inbox);
    CHECK(judge_with_profile(config, "strict@example.org", sender, shared, untrained).action == Action::junk);
    store::SpamProfile trained;
    trained.corpus = {20, 0};
    trained.tokens.assign(30, store::SpamTokenCount{20, 0});
    Verdict v = judge_with_profile(config, "alice@example.org", sender, {}, trained);
    CHECK(v.action == Action::junk);
    CHECK(v.signals.at(0).name == "BAYES");
}
