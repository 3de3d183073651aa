// DNS lookups: c-ares driven by the libuv loop, so a slow name server never
// blocks the thread that also runs the SMTP sessions. What delivery needs
// (MX records, a host's addresses) and what the checks of trusted mail need
// (TXT, A or AAAA alone, PTR).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/dns/answer_cache.hpp"
#include "common/net/loop.hpp"
#include "common/util/liveness.hpp"

namespace pochta::dns {

// What went wrong, in the terms the delivery decision needs: an answer that
// is final (nxdomain, nodata, bad_name) against one worth retrying later.
enum class Error {
    none,
    nxdomain,   // the name does not exist
    nodata,     // the name exists but has no record of that type
    temporary,  // SERVFAIL, timeout, refused, network trouble: try again later
    bad_name,   // not a name we are willing to look up
};

// "4.3.2.1.in-addr.arpa" or the nibbles under ip6.arpa, without the
// trailing dot; "" when `ip` is not an address.
std::string reverse_name(std::string_view ip);

// "none", "nxdomain", ... for logs and tests.
std::string_view error_name(Error error);

struct MxRecord {
    uint16_t preference = 0;
    std::string host;   // without the trailing dot; "" for the root (null MX)
};

struct MxResult {
    Error error = Error::none;
    std::string message;             // readable reason when error != none
    std::vector<MxRecord> records;   // in the order the server sent them
};

struct AddressResult {
    Error error = Error::none;
    std::string message;
    std::vector<std::string> ipv6;   // textual, no brackets
    std::vector<std::string> ipv4;
};

struct TxtResult {
    Error error = Error::none;
    std::string message;
    // One entry per TXT record, its character-strings joined with nothing
    // between them (RFC 7208 3.3, RFC 6376 3.6.2.2), in the order received.
    std::vector<std::string> records;
};

struct NameResult {
    Error error = Error::none;
    std::string message;
    std::vector<std::string> names;   // PTR targets, without the trailing dot
};

struct SrvRecord {
    uint16_t priority = 0, weight = 0, port = 0;
    std::string target;   // without the trailing dot; "" for "." (service not offered, RFC 2782)
};

struct SrvResult {
    Error error = Error::none;
    std::string message;
    std::vector<SrvRecord> records;   // in the order the server sent them
};

struct ResolverOptions {
    // "ip:port" (IPv6 as "[::1]:53"); empty = the system resolver
    // configuration (/etc/resolv.conf).
    std::vector<std::string> servers;
    // A message's checks on arrival wait for a few questions in a row
    // (DKIM keys, then DMARC's one or two), so a dead name server costs at
    // most tries x timeout each: 5 s, not the 15 s of c-ares' defaults.
    std::chrono::milliseconds timeout{2500};   // per try and server
    int tries = 2;
    size_t cache_entries = 20000;   // answers kept (AnswerCache); 0 = no cache
};

// Lives on the loop thread and must be used from it only. Callbacks run on
// the loop, never from inside the resolve_* call itself. Destroying the
// Resolver (also from inside one of its callbacks) drops the callbacks of
// lookups still running; it must go before its EventLoop.
class Resolver {
public:
    // Throws std::runtime_error when c-ares cannot start or a server entry
    // is malformed.
    Resolver(net::EventLoop& loop, ResolverOptions options);
    ~Resolver();
    Resolver(const Resolver&) = delete;
    Resolver& operator=(const Resolver&) = delete;

    void resolve_mx(std::string_view domain, std::function<void(MxResult)> done);
    // Queries A and AAAA at once; succeeds when either has addresses.
    void resolve_addresses(std::string_view host, std::function<void(AddressResult)> done);

    void resolve_txt(std::string_view name, std::function<void(TxtResult)> done);
    // One address family only (SPF's a and mx mechanisms ask for the
    // client's family alone, RFC 7208 5.3); the result's other list is empty.
    void resolve_ipv4(std::string_view host, std::function<void(AddressResult)> done);
    void resolve_ipv6(std::string_view host, std::function<void(AddressResult)> done);
    // SRV records (RFC 2782), e.g. of "_submissions._tcp.example.org" (`pochta doctor`).
    void resolve_srv(std::string_view name, std::function<void(SrvResult)> done);
    // Reverse lookup of a textual IPv4 or IPv6 address (in-addr.arpa / ip6.arpa).
    void resolve_ptr(std::string_view ip, std::function<void(NameResult)> done);

    // Lookups started and not yet reported (for tests and shutdown).
    size_t pending() const { return pending_; }
    // Questions sent to a name server (not answered from the cache or by
    // joining the same question already on its way), for tests.
    size_t queries_sent() const { return queries_sent_; }
    // The loop the callbacks run on (for users that must answer later on it
    // without a lookup).
    net::EventLoop& loop() const { return loop_; }

    struct Poll;    // one watched c-ares socket
    struct Query;   // one ares_query in flight

private:
    static void sock_state_cb(void* data, int fd, int readable, int writable);
    void watch_socket(int fd, bool readable, bool writable);
    void on_socket_event(int fd, int status, int events);
    void process(int read_fd, int write_fd);
    void rearm_timer();
    void finish(std::function<void()> report);
    void flush_ready();
    void flush_later();
    template <typename Result, typename Parser>
    void ask(std::string_view name, int type, std::function<void(Result)> done, Parser parser);
    using Parse = std::function<void(int status, const unsigned char* message, int size)>;
    // Answers from the cache, or joins the same question in flight, or asks.
    void start_query(const std::string& name, int type, Parse parse);
    void on_answer(const std::string& key, const std::string& name, int type, int status, const unsigned char* message,
                   int size);

    net::EventLoop& loop_;
    void* channel_ = nullptr;   // ares_channel, kept opaque so users need no c-ares headers
    std::map<int, Poll*> polls_;
    std::unique_ptr<net::EventLoop::Timer> timer_;
    std::vector<std::function<void()>> ready_;   // results waiting to be reported
    // Reports and posted flushes check this: a callback may destroy the Resolver.
    util::Liveness liveness_;
    AnswerCache cache_;
    std::map<std::string, std::vector<Parse>> in_flight_;   // "type name" -> who waits for it
    size_t pending_ = 0;
    size_t queries_sent_ = 0;
    bool destroying_ = false;
};

}  // namespace pochta::dns
