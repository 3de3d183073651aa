#include "mailauth/spf.hpp"

#include <ctime>
#include <memory>

#include "mailauth/spf_evaluation.hpp"

namespace pochta::mailauth {

namespace {

struct Identity {
    std::string local_part;
    std::string domain;
};

// The identity to check: the HELO name as postmaster@helo for HELO and for
// the null sender (RFC 7208 section 2.4), else MAIL FROM's local part
// ("postmaster" when empty) and domain.
Identity identity_of(const SpfRequest& request, SpfIdentity identity) {
    if (identity == SpfIdentity::helo || request.sender.empty()) return {"postmaster", request.helo};
    size_t at = request.sender.rfind('@');
    if (at == std::string::npos) return {"postmaster", request.sender};
    std::string local = request.sender.substr(0, at);
    return {local.empty() ? "postmaster" : local, request.sender.substr(at + 1)};
}

SpfMacroValues macro_values(const SpfRequest& request, const Identity& identity, const IpAddress& client) {
    SpfMacroValues v;
    v.local_part = identity.local_part;
    v.sender_domain = identity.domain;
    v.sender = v.local_part + "@" + v.sender_domain;
    v.ip_dotted = ip_dotted(client);
    v.ip_version = client.v6 ? "ip6" : "in-addr";
    v.helo = request.helo;
    v.ip_text = ip_text(client);
    v.receiver = request.receiver.empty() ? "unknown" : request.receiver;
    v.timestamp = std::to_string(std::time(nullptr));
    return v;
}

// The one answer of a check_spf() call: from the evaluation, or from the
// deadline when the evaluation takes longer (RFC 7208 4.6.4: temperror).
// The evaluation's callbacks hold it; the deadline only watches it.
struct Answer {
    std::function<void(SpfOutcome)> done;
    std::string domain;
    std::unique_ptr<net::EventLoop::Timer> deadline;
    bool given = false;

    void give(SpfResult result, std::string explanation) {
        if (given) return;
        given = true;
        deadline.reset();
        done(SpfOutcome{result, domain, std::move(explanation)});
    }
};

}  // namespace

std::string_view spf_result_name(SpfResult result) {
    switch (result) {
        case SpfResult::none: return "none";
        case SpfResult::neutral: return "neutral";
        case SpfResult::pass: return "pass";
        case SpfResult::fail: return "fail";
        case SpfResult::softfail: return "softfail";
        case SpfResult::temperror: return "temperror";
        case SpfResult::permerror: return "permerror";
    }
    return "none";
}

void check_spf(dns::Resolver& resolver, SpfRequest request, SpfIdentity identity,
               std::function<void(SpfOutcome)> done) {
    Identity checked = identity_of(request, identity);
    auto answer = std::make_shared<Answer>(Answer{std::move(done), checked.domain, nullptr, false});
    auto client = parse_client_ip(request.ip);
    if (!client) {
        resolver.loop().post([answer] { answer->give(SpfResult::permerror, ""); });
        return;
    }
    auto evaluation = std::make_shared<SpfEvaluation>(resolver, *client, macro_values(request, checked, *client));
    answer->deadline = resolver.loop().start_timer(request.time_limit, [weak = std::weak_ptr<Answer>(answer)] {
        if (auto a = weak.lock()) a->give(SpfResult::temperror, "");
    });
    // check_host() answers at once only for a malformed domain (result none):
    // that answer too must reach `done` later, on the loop.
    auto returned = std::make_shared<bool>(false);
    auto report = [returned, &resolver, evaluation, answer](SpfResult result) {
        if (*returned) return answer->give(result, evaluation->explanation());
        resolver.loop().post([answer, result] { answer->give(result, ""); });
    };
    evaluation->check_host(checked.domain, true, report);
    *returned = true;
}

}  // namespace pochta::mailauth
