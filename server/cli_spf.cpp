// `pochta spf check IP SENDER [HELO]` (README "Command line", "SPF"): the
// SPF check pochta runs on arrival, run once against the live DNS (or
// `[delivery] dns_servers`), for an admin asking why a sender passes or fails.
#include <cstdio>
#include <optional>

#include "common/dns/resolver.hpp"
#include "common/net/loop.hpp"
#include "common/util/log.hpp"
#include "mailauth/spf.hpp"
#include "server/cli.hpp"

namespace pochta::cli {

namespace {

// "<>" and "" are the null sender; "<a@b>" is a@b.
std::string bare_sender(std::string sender) {
    if (sender.size() >= 2 && sender.front() == '<' && sender.back() == '>') return sender.substr(1, sender.size() - 2);
    return sender;
}

// HELO defaults to the sender's domain; the null sender needs it given.
std::optional<mailauth::SpfRequest> request_from(const Args& args, const Config& config) {
    if (args.size() < 3 || args.size() > 4 || args[0] != "check") return std::nullopt;
    mailauth::SpfRequest request;
    request.ip = args[1];
    request.sender = bare_sender(args[2]);
    request.receiver = config.hostname;
    size_t at = request.sender.rfind('@');
    if (args.size() == 4)
        request.helo = args[3];
    else if (at != std::string::npos)
        request.helo = request.sender.substr(at + 1);
    else
        return std::nullopt;
    return request;
}

}  // namespace

int spf(const Args& args, const Config& config) {
    auto request = request_from(args, config);
    if (!request) return usage();
    net::EventLoop loop;
    dns::Resolver resolver(loop, dns::ResolverOptions{.servers = config.delivery.dns_servers});
    std::optional<mailauth::SpfOutcome> outcome;
    mailauth::check_spf(resolver, *request, mailauth::SpfIdentity::mailfrom, [&](mailauth::SpfOutcome o) {
        outcome = std::move(o);
        loop.stop();
    });
    loop.run();
    if (!outcome) return fail("the SPF check did not finish");
    std::printf("%s %s %s\n", std::string(mailauth::spf_result_name(outcome->result)).c_str(),
                outcome->domain.empty() ? "-" : outcome->domain.c_str(), log::quoted(outcome->explanation).c_str());
    return 0;
}

}  // namespace pochta::cli
