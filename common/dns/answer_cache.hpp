// The answers the Resolver got, kept for as long as their TTLs allow
// (README.md, "Trusted mail"): the checks on arrival ask the same few names
// for every message of a busy sender domain, and outbound asks the same MX
// again and again. Raw DNS messages are kept and parsed again on use, so
// one cache serves every record type. Negative answers are kept for the
// SOA's negative TTL (RFC 2308 section 5), not at all without a SOA;
// temporary failures never.
#pragma once

#include <chrono>
#include <cstdint>
#include <list>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace pochta::dns {

// Seconds the answer may be kept: the smallest TTL of its answer records,
// or for a name error / no data the negative TTL of the authority SOA.
// nullopt when it must not be kept (TTL 0, no SOA, malformed message).
std::optional<uint32_t> cacheable_ttl(const unsigned char* message, size_t size, bool negative);

class AnswerCache {
public:
    using Clock = std::chrono::steady_clock;
    struct Entry {
        int status;            // the c-ares status it came with
        std::string message;   // the raw DNS response
    };

    explicit AnswerCache(size_t max_entries = 20000) : max_entries_(max_entries) {}

    // The entry for (name, type) if it has not expired.
    const Entry* find(std::string_view name, int type, Clock::time_point now = Clock::now());
    void store(std::string_view name, int type, Entry entry, uint32_t ttl, Clock::time_point now = Clock::now());
    size_t size() const { return entries_.size(); }
    // "TYPE name", lowercased: how a question is named here and in the Resolver.
    static std::string key_of(std::string_view name, int type);

    static constexpr uint32_t max_ttl = 86400;          // a day, whatever the zone says
    static constexpr uint32_t max_negative_ttl = 10800; // RFC 2308 section 5: three hours
    static constexpr size_t max_message_size = 16 * 1024;

private:
    struct Slot {
        Entry entry;
        Clock::time_point expires;
        std::list<std::string>::iterator age;  // position in lru_
    };
    void evict_oldest();

    size_t max_entries_;
    std::unordered_map<std::string, Slot> entries_;
    std::list<std::string> lru_;   // least recently used first
};

}  // namespace pochta::dns
