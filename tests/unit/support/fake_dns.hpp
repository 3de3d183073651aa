// A tiny authoritative DNS responder on 127.0.0.1 (UDP), answering from a
// table, so the resolver is tested against real packets on a real socket.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "common/dns/resolver.hpp"

namespace pochta::dns::test {

constexpr uint16_t type_a = 1, type_ptr = 12, type_mx = 15, type_txt = 16, type_aaaa = 28;

struct FakeRecord {
    uint16_t type = 0;
    // MX: "10 mx.example.org" ("0 ." null MX); A/AAAA: the address; PTR:
    // the name; TXT: the text, sent as 255-byte character-strings.
    std::string data;
    uint32_t ttl = 60;
};

struct FakeAnswer {
    enum class Kind { records, nxdomain, servfail, silent } kind = Kind::records;
    std::vector<FakeRecord> records;   // empty with Kind::records = NOERROR, no data
};

class FakeDns {
public:
    FakeDns();
    ~FakeDns();
    FakeDns(const FakeDns&) = delete;
    FakeDns& operator=(const FakeDns&) = delete;

    // Answer for (name, qtype); names are matched case-insensitively.
    // Questions not in the table get NXDOMAIN.
    void set(const std::string& name, uint16_t type, FakeAnswer answer);
    void add(const std::string& name, FakeRecord record);

    uint16_t port() const { return port_; }
    std::string server() const { return "127.0.0.1:" + std::to_string(port_); }
    // For a Resolver that asks this responder only, and gives up quickly.
    ResolverOptions resolver_options() const {
        ResolverOptions options;
        options.servers = {server()};
        options.timeout = std::chrono::milliseconds(300);
        options.tries = 1;
        return options;
    }
    // How many questions for (name, type) arrived.
    int queries(const std::string& name, uint16_t type);

private:
    void serve();
    std::string respond(const std::string& query);

    int fd_ = -1;
    uint16_t port_ = 0;
    std::atomic<bool> stop_{false};
    std::mutex mutex_;
    std::map<std::pair<std::string, uint16_t>, FakeAnswer> table_;
    std::map<std::pair<std::string, uint16_t>, int> counts_;
    std::thread thread_;
};

}  // namespace pochta::dns::test
