// The maildrop of one POP3 session: the INBOX as it was at login. Message
// numbers and sizes never change during the session (RFC 1939 section 5);
// deletions are only marks until the UPDATE state. Pure: no store, no I/O.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace pochta::pop3 {

struct MaildropMessage {
    int64_t id = 0;           // the store's message id, for reading
    uint32_t uid = 0;         // the INBOX UID, for flags and expunge
    uint64_t stored_size = 0; // octets in the store
    uint64_t size = 0;        // octets RETR sends (CRLF line endings), dot-stuffing not counted
    std::string uidl;
    bool seen = false;        // \Seen already set (no flag write needed on RETR)
    bool deleted = false;     // marked by DELE in this session
};

class Maildrop {
public:
    Maildrop() = default;
    explicit Maildrop(std::vector<MaildropMessage> messages);

    // Messages not marked deleted, and their octets (STAT).
    size_t count() const { return count_; }
    uint64_t octets() const { return octets_; }
    // All messages of the session, deleted ones included (the highest number).
    size_t total() const { return messages_.size(); }

    enum class Lookup { ok, no_such, deleted };
    // `number` is 1-based. Sets `out` on ok.
    Lookup find(uint64_t number, const MaildropMessage*& out) const;
    // DELE: marks one message.
    Lookup mark_deleted(uint64_t number);
    void mark_seen(uint64_t number);
    // RSET: unmarks every message.
    void reset();
    std::vector<uint32_t> deleted_uids() const;

    const std::vector<MaildropMessage>& messages() const { return messages_; }

private:
    std::vector<MaildropMessage> messages_;
    size_t count_ = 0;
    uint64_t octets_ = 0;
};

// The octets RETR sends for a stored message: its CRLF size, plus a CRLF
// when the message does not end with a line ending (RETR must end the last
// line before the terminating ".").
uint64_t wire_size(uint64_t crlf_size, uint64_t stored_size, char last_byte);

// The last byte of stored messages, by message id, shared by the sessions
// of one store. Stored messages never change, so a login needs to read
// only the tails of messages it has not seen before. Thread-safe; bounded
// (forgets everything when full, which only costs reads).
class MessageTails {
public:
    std::optional<char> find(int64_t message_id) const;
    void remember(int64_t message_id, char last_byte);

private:
    static constexpr size_t max_entries = 1 << 20;
    mutable std::mutex mutex_;
    std::unordered_map<int64_t, char> tails_;
};

}  // namespace pochta::pop3
