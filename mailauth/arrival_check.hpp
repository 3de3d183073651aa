// The checks on arrival for one message on the MX listener (README.md,
// "Checks on arrival"): SPF starts as soon as MAIL FROM is known, so it
// runs while the client sends the data; at the end of the data the DKIM
// hashes and the From field are read on a worker (the body may be 25 MB),
// then the DKIM keys are looked up and DMARC is judged on the loop.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/dns/resolver.hpp"
#include "common/net/loop.hpp"
#include "mailauth/arrival_check_policy.hpp"

namespace pochta::mailauth {

// The message as the client sent it (without our Return-Path/Received)
// and what keeps those bytes alive until the check is done.
struct MessageBytes {
    std::string_view bytes;
    std::shared_ptr<const void> owner;
};

// What the worker read from the message besides the DKIM hashes.
struct ArrivalReport {
    ArrivalFacts facts;
    // Offsets (in the message's header) of Authentication-Results fields
    // claiming `authserv_id`: to be renamed (README.md, "Checks on arrival").
    std::vector<size_t> claimed_auth_results;
};

// Loop thread only. Owned by a shared_ptr: callbacks keep it alive until
// they ran; a `done` bound to a session is simply dropped if it left.
class ArrivalCheck : public std::enable_shared_from_this<ArrivalCheck> {
public:
    // Starts SPF for the MAIL FROM identity and, unless the sender is the
    // null sender (whose check is the HELO one already), for HELO.
    static std::shared_ptr<ArrivalCheck> start(net::EventLoop& loop, dns::Resolver& resolver, SpfRequest request);

    // At the end of the data. `is_local` says whether a domain is one of
    // ours. `done` runs on the loop once SPF, DKIM and DMARC are known.
    void examine(MessageBytes message, std::string authserv_id, std::function<bool(std::string_view)> is_local,
                 std::function<void(ArrivalReport)> done);

private:
    // Messages up to this size are hashed on the loop (arrival_check.cpp).
    static constexpr size_t inline_limit = 64 * 1024;
    ArrivalCheck(net::EventLoop& loop, dns::Resolver& resolver) : loop_(loop), resolver_(resolver) {}
    void on_prepared(std::shared_ptr<DkimChecks> dkim);
    void maybe_judge();  // DMARC once both SPF and DKIM are in

    net::EventLoop& loop_;
    dns::Resolver& resolver_;
    ArrivalReport report_;
    std::optional<SpfOutcome> spf_;
    bool helo_pending_ = false;
    std::optional<std::vector<DkimVerdict>> dkim_;
    std::function<bool(std::string_view)> is_local_;
    std::function<void(ArrivalReport)> done_;
};

}  // namespace pochta::mailauth
