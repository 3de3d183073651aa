// DKIM verification (RFC 6376 6, RFC 8463, RFC 8301) in two steps: the
// hashing, pure CPU work for a worker thread, then on the loop the key
// lookups and the signature checks (README.md "DKIM signing" says how l=,
// short keys and rsa-sha1 are judged).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/dns/resolver.hpp"

namespace pochta::mailauth {

// The RFC 8601 result names.
enum class DkimResult { none, pass, fail, neutral, policy, temperror, permerror };
std::string_view dkim_result_name(DkimResult result);

// At most this many DKIM-Signature fields are evaluated, the topmost first;
// the rest are ignored.
constexpr size_t max_dkim_signatures = 5;

struct DkimVerdict {
    DkimResult result = DkimResult::none;
    std::string domain, selector, algorithm;   // d=, s=, a= (as far as they could be read)
    std::string header_b;                      // the whole b= value without whitespace (RFC 6008 header.b)
    std::string reason;                        // why it is not a pass, or a note; "" for a plain pass
};

struct DkimChecks;   // parsed signatures and computed hashes

// Pure CPU work, thread-safe: call on a worker. `message` = the header and
// body as the client sent them (without pochta's own Return-Path/Received);
// CRLF or bare LF line ends. `now` (Unix seconds) judges x= expiry; 0 = the clock.
std::shared_ptr<DkimChecks> prepare_dkim(std::string_view message, int64_t now = 0);

// On the loop: key lookups via the resolver, then the signature checks on a
// worker (net::EventLoop::offload). `done` gets one verdict per evaluated
// signature in the message's order, none for a message without signatures;
// it runs later on the loop, never inside this call.
void verify_dkim(dns::Resolver& resolver, std::shared_ptr<DkimChecks> checks,
                 std::function<void(std::vector<DkimVerdict>)> done);

// The verdict for one signature from its key record(s), as verify_dkim
// decides it once DNS answered (exposed for tests: no DNS needed).
DkimVerdict judge_dkim_signature(const DkimChecks& checks, size_t index, const dns::TxtResult& key_records);
size_t dkim_signature_count(const DkimChecks& checks);

}  // namespace pochta::mailauth
