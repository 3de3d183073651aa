#include "common/dns/answer_cache.hpp"

#include <algorithm>

#include "common/util/strings.hpp"

namespace pochta::dns {
namespace {

constexpr uint16_t type_soa = 6;

// Reads a DNS message (RFC 1035 section 4.1) just far enough for TTLs.
class Reader {
public:
    Reader(const unsigned char* data, size_t size) : data_(data), size_(size) {}

    bool ok() const { return ok_; }
    size_t pos() const { return pos_; }
    uint16_t u16() {
        if (!need(2)) return 0;
        uint16_t v = static_cast<uint16_t>(data_[pos_] << 8 | data_[pos_ + 1]);
        pos_ += 2;
        return v;
    }
    uint32_t u32() {
        uint32_t hi = u16();
        return hi << 16 | u16();
    }
    void skip(size_t n) {
        if (need(n)) pos_ += n;
    }
    // A name in place: labels up to a zero byte or a compression pointer.
    void skip_name() {
        for (int labels = 0; ok_ && labels < 128; labels++) {
            if (!need(1)) return;
            unsigned char len = data_[pos_];
            if (len == 0) return skip(1);
            if ((len & 0xc0) == 0xc0) return skip(2);
            if (len & 0xc0) break;
            skip(1 + static_cast<size_t>(len));
        }
        ok_ = false;
    }

private:
    bool need(size_t n) {
        if (ok_ && size_ - pos_ >= n) return true;
        ok_ = false;
        return false;
    }
    const unsigned char* data_;
    size_t size_;
    size_t pos_ = 0;
    bool ok_ = true;
};

}  // namespace

std::optional<uint32_t> cacheable_ttl(const unsigned char* message, size_t size, bool negative) {
    Reader r(message, size);
    r.skip(4);
    uint16_t questions = r.u16(), answers = r.u16(), authorities = r.u16();
    r.skip(2);
    for (uint16_t i = 0; i < questions && r.ok(); i++) {
        r.skip_name();
        r.skip(4);
    }
    std::optional<uint32_t> ttl;
    auto keep_smallest = [&ttl](uint32_t t) { ttl = ttl ? std::min(*ttl, t) : t; };
    for (uint32_t i = 0; i < uint32_t(answers) + authorities && r.ok(); i++) {
        r.skip_name();
        uint16_t type = r.u16();
        r.skip(2);
        uint32_t record_ttl = r.u32();
        uint16_t length = r.u16();
        size_t rdata_end = r.pos() + length;
        bool in_answer = i < answers;
        if (!negative && in_answer) keep_smallest(record_ttl);
        if (negative && !in_answer && type == type_soa) {
            r.skip_name();  // MNAME
            r.skip_name();  // RNAME
            r.skip(16);     // serial, refresh, retry, expire
            keep_smallest(std::min(record_ttl, r.u32()));  // RFC 2308 section 5
        }
        if (r.ok() && r.pos() <= rdata_end) r.skip(rdata_end - r.pos());
    }
    if (!r.ok() || !ttl || *ttl == 0) return std::nullopt;
    return std::min(*ttl, negative ? AnswerCache::max_negative_ttl : AnswerCache::max_ttl);
}

std::string AnswerCache::key_of(std::string_view name, int type) {
    return std::to_string(type) + ' ' + to_lower(name);
}

const AnswerCache::Entry* AnswerCache::find(std::string_view name, int type, Clock::time_point now) {
    auto it = entries_.find(key_of(name, type));
    if (it == entries_.end()) return nullptr;
    if (now >= it->second.expires) {
        lru_.erase(it->second.age);
        entries_.erase(it);
        return nullptr;
    }
    lru_.splice(lru_.end(), lru_, it->second.age);
    return &it->second.entry;
}

void AnswerCache::store(std::string_view name, int type, Entry entry, uint32_t ttl, Clock::time_point now) {
    if (entry.message.size() > max_message_size || max_entries_ == 0) return;
    std::string key = key_of(name, type);
    auto expires = now + std::chrono::seconds(ttl);
    if (auto it = entries_.find(key); it != entries_.end()) {
        it->second.entry = std::move(entry);
        it->second.expires = expires;
        lru_.splice(lru_.end(), lru_, it->second.age);
        return;
    }
    if (entries_.size() >= max_entries_) evict_oldest();
    lru_.push_back(key);
    entries_.emplace(std::move(key), Slot{std::move(entry), expires, std::prev(lru_.end())});
}

void AnswerCache::evict_oldest() {
    entries_.erase(lru_.front());
    lru_.pop_front();
}

}  // namespace pochta::dns
