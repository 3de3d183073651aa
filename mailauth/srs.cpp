#include "mailauth/srs.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <optional>

#include "common/util/strings.hpp"

namespace pochta::mailauth {
namespace {

constexpr size_t hash_length = 4;
constexpr size_t max_local_part = 64;      // RFC 5321 4.5.3.1.1
constexpr int64_t timestamp_slots = 1024;  // two base32 characters
constexpr std::string_view base32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
constexpr char separator = '=';

bool is_separator(char c) { return c == '=' || c == '+' || c == '-'; }

// "SRS0" or "SRS1" (any case) and a separator; 0 or 1, or nullopt.
std::optional<int> srs_tag(std::string_view local) {
    if (local.size() < 5 || !istarts_with(local, "SRS") || !is_separator(local[4])) return std::nullopt;
    if (local[3] == '0') return 0;
    if (local[3] == '1') return 1;
    return std::nullopt;
}

// The first hash_length characters of base64(HMAC-SHA1(secret, fields)),
// every field lowercased as Mail::SRS and libsrs2 do.
std::string make_hash(std::string_view secret, std::initializer_list<std::string_view> fields) {
    std::string data;
    for (std::string_view field : fields) data += to_lower(field);
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int digest_length = 0;
    HMAC(EVP_sha1(), secret.data(), static_cast<int>(secret.size()),
         reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest.data(), &digest_length);
    std::string_view raw(reinterpret_cast<const char*>(digest.data()), digest_length);
    return base64_encode(raw).substr(0, hash_length);
}

bool hash_matches(std::string_view hash, const std::vector<std::string>& secrets,
                  std::initializer_list<std::string_view> fields) {
    for (const auto& secret : secrets)
        if (iequals(make_hash(secret, fields), hash)) return true;
    return false;
}

std::string make_timestamp(int64_t day) {
    int64_t slot = day % timestamp_slots;
    return {base32[static_cast<size_t>(slot >> 5) & 31], base32[static_cast<size_t>(slot) & 31]};
}

std::optional<int64_t> parse_timestamp(std::string_view text) {
    if (text.size() != 2) return std::nullopt;
    int64_t value = 0;
    for (char c : text) {
        size_t digit = base32.find(static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c));
        if (digit == std::string_view::npos) return std::nullopt;
        value = value * 32 + static_cast<int64_t>(digit);
    }
    return value;
}

// As Mail::SRS: a stamp "ahead" of today is one that wrapped around, so
// it counts as about 1024 days old.
bool timestamp_fresh(int64_t stamp, int64_t day, unsigned max_age_days) {
    int64_t now = day % timestamp_slots;
    while (now < stamp) now += timestamp_slots;
    return now <= stamp + max_age_days;
}

// Splits `text` on '=' into at most `count` fields (the last takes the rest).
std::vector<std::string_view> split_fields(std::string_view text, size_t count) {
    std::vector<std::string_view> fields;
    while (fields.size() + 1 < count) {
        size_t at = text.find(separator);
        if (at == std::string_view::npos) break;
        fields.push_back(text.substr(0, at));
        text.remove_prefix(at + 1);
    }
    fields.push_back(text);
    return fields;
}

// A domain as it may stand in an SRS field: no separators of addresses,
// no spaces or control bytes.
bool plausible_domain(std::string_view domain) {
    if (domain.empty() || domain.size() > 253) return false;
    for (unsigned char c : domain)
        if (c <= 0x20 || c == 0x7f || c == '@' || c == separator || c == '<' || c == '>') return false;
    return true;
}

bool plausible_local(std::string_view local) {
    if (local.empty()) return false;
    for (unsigned char c : local)
        if (c <= 0x20 || c == 0x7f || c == '<' || c == '>') return false;
    return true;
}

// "SRS1=HHHH=first-forwarder=" and the inner address after its SRS0 tag
// (which starts with that address's own separator).
std::string srs1_local(std::string_view hash, std::string_view host, std::string_view srsuser) {
    return "SRS1=" + std::string(hash) + "=" + std::string(host) + "=" + std::string(srsuser);
}

SrsReversal failure(SrsError error) { return {error, {}}; }

SrsReversal reverse_srs0(std::string_view rest, const std::vector<std::string>& secrets, int64_t day,
                         unsigned max_age_days) {
    auto fields = split_fields(rest, 4);
    if (fields.size() != 4) return failure(SrsError::malformed);
    std::string_view hash = fields[0], stamp = fields[1], host = fields[2], user = fields[3];
    auto when = parse_timestamp(stamp);
    if (hash.size() != hash_length || !when || !plausible_domain(host) || !plausible_local(user))
        return failure(SrsError::malformed);
    if (!hash_matches(hash, secrets, {stamp, host, user})) return failure(SrsError::bad_hash);
    if (!timestamp_fresh(*when, day, max_age_days)) return failure(SrsError::expired);
    return {SrsError::none, std::string(user) + "@" + std::string(host)};
}

struct Srs1Fields {
    std::string_view hash, host, srsuser;
};

// "HHHH=first-forwarder=<srsuser>" after the SRS1 tag; srsuser is the
// inner SRS0 address after its tag, starting with that address's own
// separator.
std::optional<Srs1Fields> parse_srs1(std::string_view rest) {
    auto fields = split_fields(rest, 3);
    if (fields.size() != 3) return std::nullopt;
    Srs1Fields out{fields[0], fields[1], fields[2]};
    if (out.hash.size() != hash_length || !plausible_domain(out.host) || !plausible_local(out.srsuser) ||
        !is_separator(out.srsuser.front()))
        return std::nullopt;
    return out;
}

SrsReversal reverse_srs1(std::string_view rest, const std::vector<std::string>& secrets) {
    auto fields = parse_srs1(rest);
    if (!fields) return failure(SrsError::malformed);
    if (!hash_matches(fields->hash, secrets, {fields->host, fields->srsuser})) return failure(SrsError::bad_hash);
    return {SrsError::none, "SRS0" + std::string(fields->srsuser) + "@" + std::string(fields->host)};
}

}  // namespace

int64_t srs_day(int64_t unix_time) { return unix_time / 86400; }

bool is_srs_local_part(std::string_view local_part) { return srs_tag(local_part).has_value(); }

std::string srs_forward(std::string_view sender, std::string_view our_domain, std::string_view secret,
                        int64_t unix_time) {
    if (sender.size() > max_srs_input) return {};
    size_t at = sender.rfind('@');
    if (at == std::string_view::npos) return {};
    std::string_view local = sender.substr(0, at), domain = sender.substr(at + 1);
    if (!plausible_local(local) || !plausible_domain(domain)) return {};
    std::string rewritten;
    auto tag = srs_tag(local);
    auto srs1 = tag == 1 ? parse_srs1(local.substr(5)) : std::nullopt;
    if (tag == 0) {
        // Another forwarder's SRS0: wrap it, naming that forwarder.
        std::string_view srsuser = local.substr(4);
        rewritten = srs1_local(make_hash(secret, {domain, srsuser}), domain, srsuser);
    } else if (srs1) {
        // Already wrapped: keep the first forwarder, sign it anew.
        rewritten = srs1_local(make_hash(secret, {srs1->host, srs1->srsuser}), srs1->host, srs1->srsuser);
    } else {
        std::string stamp = make_timestamp(srs_day(unix_time));
        rewritten = "SRS0=" + make_hash(secret, {stamp, domain, local}) + "=" + stamp + "=" + std::string(domain) +
                    "=" + std::string(local);
    }
    if (rewritten.size() > max_local_part) return {};
    return rewritten + "@" + std::string(our_domain);
}

SrsReversal srs_reverse(std::string_view local_part, const std::vector<std::string>& secrets, int64_t unix_time,
                        unsigned max_age_days) {
    if (local_part.size() > max_srs_input) return failure(SrsError::malformed);
    auto tag = srs_tag(local_part);
    if (!tag) return failure(SrsError::not_srs);
    std::string_view rest = local_part.substr(5);
    if (*tag == 0) return reverse_srs0(rest, secrets, srs_day(unix_time), max_age_days);
    return reverse_srs1(rest, secrets);
}

std::string_view srs_error_text(SrsError error) {
    switch (error) {
        case SrsError::none: return "valid";
        case SrsError::not_srs: return "not an SRS address";
        case SrsError::malformed: return "malformed SRS address";
        case SrsError::bad_hash: return "SRS hash does not verify";
        case SrsError::expired: return "SRS address expired";
    }
    return "unknown";
}

}  // namespace pochta::mailauth
