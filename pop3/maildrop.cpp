#include "pop3/maildrop.hpp"

namespace pochta::pop3 {

Maildrop::Maildrop(std::vector<MaildropMessage> messages) : messages_(std::move(messages)) {
    for (auto& m : messages_) m.deleted = false;
    reset();
}

Maildrop::Lookup Maildrop::find(uint64_t number, const MaildropMessage*& out) const {
    if (number == 0 || number > messages_.size()) return Lookup::no_such;
    const MaildropMessage& m = messages_[number - 1];
    if (m.deleted) return Lookup::deleted;
    out = &m;
    return Lookup::ok;
}

Maildrop::Lookup Maildrop::mark_deleted(uint64_t number) {
    const MaildropMessage* found = nullptr;
    Lookup result = find(number, found);
    if (result != Lookup::ok) return result;
    MaildropMessage& m = messages_[number - 1];
    m.deleted = true;
    count_--;
    octets_ -= m.size;
    return Lookup::ok;
}

void Maildrop::mark_seen(uint64_t number) {
    if (number >= 1 && number <= messages_.size()) messages_[number - 1].seen = true;
}

void Maildrop::reset() {
    count_ = messages_.size();
    octets_ = 0;
    for (auto& m : messages_) {
        m.deleted = false;
        octets_ += m.size;
    }
}

std::vector<uint32_t> Maildrop::deleted_uids() const {
    std::vector<uint32_t> uids;
    for (const auto& m : messages_)
        if (m.deleted) uids.push_back(m.uid);
    return uids;
}

uint64_t wire_size(uint64_t crlf_size, uint64_t stored_size, char last_byte) {
    if (stored_size == 0 || last_byte == '\n') return crlf_size;
    return crlf_size + 2;
}

std::optional<char> MessageTails::find(int64_t message_id) const {
    std::lock_guard lock(mutex_);
    auto it = tails_.find(message_id);
    if (it == tails_.end()) return std::nullopt;
    return it->second;
}

void MessageTails::remember(int64_t message_id, char last_byte) {
    std::lock_guard lock(mutex_);
    if (tails_.size() >= max_entries) tails_.clear();
    tails_[message_id] = last_byte;
}

}  // namespace pochta::pop3
