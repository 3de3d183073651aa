#include "imap/sort_keys.hpp"

#include <cstring>

#include "common/mime/address_list.hpp"
#include "common/mime/encoded_word.hpp"
#include "common/mime/message_date.hpp"
#include "common/util/strings.hpp"
#include "imap/base_subject.hpp"
#include "imap/casemap.hpp"
#include "imap/search_text.hpp"

namespace pochta::imap {

namespace {

// Enough entries to get past a few leading groups to the first mailbox.
constexpr size_t kMaxAddressEntries = 64;
// The first octet of the stored form; another value reads as "not made".
constexpr uint8_t kSortKeysVersion = 1;
constexpr uint8_t kHasDate = 1, kReplyOrForward = 2;

const mime::AddressEntry* first_mailbox(const std::vector<mime::AddressEntry>& entries) {
    for (const mime::AddressEntry& e : entries)
        if (e.kind == mime::AddressEntry::Kind::mailbox) return &e;
    return nullptr;
}

// RFC 5256: the addr-mailbox (local part) of the first address.
std::string mailbox_key(const std::optional<std::string>& field) {
    if (!field) return {};
    std::vector<mime::AddressEntry> entries = mime::parse_address_list(*field, kMaxAddressEntries);
    const mime::AddressEntry* first = first_mailbox(entries);
    return first ? ascii_upper(first->mailbox) : std::string();
}

// RFC 5957: the decoded display name of the first address, else its addr-spec.
std::string display_key(const std::optional<std::string>& field) {
    if (!field) return {};
    std::vector<mime::AddressEntry> entries = mime::parse_address_list(*field, kMaxAddressEntries);
    const mime::AddressEntry* first = first_mailbox(entries);
    if (!first) return {};
    if (first->name) {
        std::string name(trim(mime::decode_encoded_words(*first->name)));
        if (!name.empty()) return casemap(name);
    }
    std::string spec = first->mailbox;
    if (first->host) spec += "@" + *first->host;
    return casemap(spec);
}

// FNV-1a, then splitmix64's finalizer to spread similar IDs; never 0 (none).
uint64_t message_id_hash(std::string_view id) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (unsigned char c : id) h = (h ^ c) * 0x100000001b3ull;
    h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ull;
    h = (h ^ (h >> 27)) * 0x94d049bb133111ebull;
    h ^= h >> 31;
    return h == 0 ? 1 : h;
}

std::vector<uint64_t> reference_hashes(const mime::EnvelopeFields& envelope, std::string_view header) {
    std::vector<std::string> ids;
    std::vector<std::string> fields = header_values(header, "References");
    if (!fields.empty()) ids = message_ids(fields.front());
    if (ids.size() > kMaxReferences) ids.erase(ids.begin(), ids.end() - kMaxReferences);
    if (ids.empty()) {
        std::vector<std::string> parent = message_ids(envelope.in_reply_to.value_or(""));
        if (!parent.empty()) ids.push_back(parent.front());
    }
    std::vector<uint64_t> hashes;
    hashes.reserve(ids.size());
    for (const std::string& id : ids) hashes.push_back(message_id_hash(id));
    return hashes;
}

void put_varint(std::string& out, uint64_t v) {
    while (v >= 0x80) {
        out += static_cast<char>((v & 0x7f) | 0x80);
        v >>= 7;
    }
    out += static_cast<char>(v);
}

void put_u64(std::string& out, uint64_t v) {
    for (int i = 0; i < 8; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
}

// Reads the stored form front to back; any overrun fails it for good.
class SortKeysReader {
public:
    explicit SortKeysReader(std::string_view data) : data_(data) {}

    bool ok() const { return ok_; }
    bool at_end() const { return data_.empty(); }

    uint8_t byte() {
        if (data_.empty()) return fail(), 0;
        uint8_t b = static_cast<uint8_t>(data_[0]);
        data_.remove_prefix(1);
        return b;
    }
    uint64_t varint() {
        uint64_t v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            uint8_t b = byte();
            v |= static_cast<uint64_t>(b & 0x7f) << shift;
            if (!(b & 0x80)) return v;
        }
        return fail(), 0;
    }
    uint64_t u64() {
        if (data_.size() < 8) return fail(), 0;
        uint64_t v = 0;
        for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(static_cast<uint8_t>(data_[i])) << (8 * i);
        data_.remove_prefix(8);
        return v;
    }
    std::string text() {
        uint64_t size = varint();
        if (size > data_.size()) return fail(), std::string();
        std::string s(data_.substr(0, size));
        data_.remove_prefix(size);
        return s;
    }

private:
    void fail() {
        ok_ = false;
        data_ = {};
    }
    std::string_view data_;
    bool ok_ = true;
};

}  // namespace

SortKeys sort_keys_of(const mime::EnvelopeFields& envelope, std::string_view header) {
    SortKeys keys;
    if (envelope.date)
        if (std::optional<mime::MessageDate> date = mime::parse_message_date(*envelope.date))
            keys.sent_date = date->utc_seconds();
    BaseSubject subject = base_subject(envelope.subject.value_or(""));
    keys.subject = ascii_upper(subject.text);
    keys.reply_or_forward = subject.reply_or_forward;
    keys.from = mailbox_key(envelope.from);
    keys.to = mailbox_key(envelope.to);
    keys.cc = mailbox_key(envelope.cc);
    keys.display_from = display_key(envelope.from);
    keys.display_to = display_key(envelope.to);
    std::vector<std::string> ids = message_ids(envelope.message_id.value_or(""));
    if (!ids.empty()) keys.message_id = message_id_hash(ids.front());
    keys.references = reference_hashes(envelope, header);
    return keys;
}

std::vector<std::string> message_ids(std::string_view value) {
    std::vector<std::string> ids;
    size_t depth = 0;
    for (size_t i = 0; i < value.size(); ++i) {
        char c = value[i];
        if (depth > 0) {
            if (c == '\\') ++i;
            else if (c == '(') ++depth;
            else if (c == ')') --depth;
            continue;
        }
        if (c == '(') {
            depth = 1;
        } else if (c == '<') {
            size_t close = value.find_first_of("<>", i + 1);
            if (close == std::string_view::npos) break;
            if (value[close] == '<') {  // "<<id>": start again at the inner '<'
                i = close - 1;
                continue;
            }
            std::string id;
            for (char k : value.substr(i + 1, close - i - 1))
                if (k != ' ' && k != '\t' && k != '\r' && k != '\n') id += k;
            if (!id.empty()) ids.push_back(std::move(id));
            i = close;
        }
    }
    return ids;
}

std::string encode_sort_keys(const SortKeys& keys) {
    std::string out;
    out += static_cast<char>(kSortKeysVersion);
    out += static_cast<char>((keys.sent_date ? kHasDate : 0) | (keys.reply_or_forward ? kReplyOrForward : 0));
    put_u64(out, static_cast<uint64_t>(keys.sent_date.value_or(0)));
    for (const std::string* s : {&keys.subject, &keys.from, &keys.to, &keys.cc, &keys.display_from, &keys.display_to}) {
        put_varint(out, s->size());
        out += *s;
    }
    put_u64(out, keys.message_id);
    put_varint(out, keys.references.size());
    for (uint64_t r : keys.references) put_u64(out, r);
    return out;
}

std::optional<SortKeys> decode_sort_keys(std::string_view data) {
    SortKeysReader in(data);
    if (in.byte() != kSortKeysVersion) return std::nullopt;
    SortKeys keys;
    uint8_t flags = in.byte();
    int64_t date = static_cast<int64_t>(in.u64());
    if (flags & kHasDate) keys.sent_date = date;
    keys.reply_or_forward = (flags & kReplyOrForward) != 0;
    for (std::string* s : {&keys.subject, &keys.from, &keys.to, &keys.cc, &keys.display_from, &keys.display_to})
        *s = in.text();
    keys.message_id = in.u64();
    uint64_t count = in.varint();
    if (!in.ok() || count > kMaxReferences) return std::nullopt;
    keys.references.reserve(count);
    for (uint64_t i = 0; i < count; ++i) keys.references.push_back(in.u64());
    if (!in.ok() || !in.at_end()) return std::nullopt;
    return keys;
}

std::string make_stored_sort_keys(std::string_view raw, const std::string& structure) {
    static const mime::EnvelopeFields no_envelope;
    std::optional<mime::Structure> parsed = mime::deserialize(structure);
    const mime::EnvelopeFields* envelope = &no_envelope;
    if (parsed && parsed->root.envelope) envelope = &*parsed->root.envelope;
    return encode_sort_keys(sort_keys_of(*envelope, header_block(raw)));
}

}  // namespace pochta::imap
