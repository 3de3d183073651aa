// Tokens as bogofilter and SpamBayes take them: runs of letters, digits
// and a few inner marks, lowercased; header words carry their field's
// name, URLs give their host, over-long runs are summarised by their
// length (README.md, "Spam").
#include "spam/tokenizer.hpp"

#include <algorithm>
#include <functional>
#include <set>
#include <unordered_set>

#include "common/mime/address_list.hpp"
#include "common/mime/charset.hpp"
#include "common/mime/encoded_word.hpp"
#include "common/mime/header.hpp"
#include "common/mime/html_text.hpp"
#include "common/mime/structure.hpp"
#include "common/mime/transfer_encoding.hpp"
#include "common/util/strings.hpp"

namespace pochta::spam {

namespace {

constexpr size_t min_word = 3;
constexpr size_t max_word = 40;
constexpr uint32_t max_field = 4096;   // bytes of a header field's value looked at

bool is_word_byte(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80 || c == '$' ||
           c == '\'' || c == '-' || c == '_' || c == '!';
}

// FNV-1a, fed piece by piece, so a token's key is computed while its
// bytes are read: no string is built for the millions of words of a
// large message (the key equals token_key() of the whole token).
class TokenHash {
public:
    void add(std::string_view bytes) {
        for (char c : bytes) add(c);
    }
    void add(char c) {
        hash_ ^= static_cast<unsigned char>(c);
        hash_ *= 1099511628211ull;
    }
    uint64_t value() const { return hash_; }

private:
    uint64_t hash_ = 14695981039346656037ull;
};

// ASCII only, as the classifier's tokens always were: bytes of UTF-8
// sequences stay as they are whatever the process's locale.
char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

class Collector {
public:
    explicit Collector(const TokenizerLimits& limits) : limits_(limits) { keys_.reserve(1024); }

    bool full() const { return keys_.size() >= limits_.max_tokens; }

    void add(std::string_view token) {
        if (!full()) keys_.insert(token_key(token));
    }

    // Splits `text` into words, each added with `prefix`.
    void words(std::string_view text, std::string_view prefix) {
        size_t i = 0;
        while (i < text.size() && !full()) {
            while (i < text.size() && !is_word_byte(static_cast<unsigned char>(text[i]))) ++i;
            size_t start = i;
            while (i < text.size() && is_word_byte(static_cast<unsigned char>(text[i]))) ++i;
            word(text.substr(start, i - start), prefix);
        }
    }

    std::vector<uint64_t> take() {
        std::vector<uint64_t> keys(keys_.begin(), keys_.end());
        std::sort(keys.begin(), keys.end());
        return keys;
    }

private:
    void word(std::string_view w, std::string_view prefix) {
        while (!w.empty() && (w.front() == '\'' || w.front() == '-' || w.front() == '_')) w.remove_prefix(1);
        while (!w.empty() && (w.back() == '\'' || w.back() == '-' || w.back() == '_')) w.remove_suffix(1);
        if (w.size() < min_word || full()) return;
        TokenHash hash;
        hash.add(prefix);
        if (w.size() > max_word) {
            // SpamBayes' "skip" tokens: long runs (base64 leftovers, hashes) by first byte and length.
            hash.add("skip:");
            hash.add(ascii_lower(w.front()));
            hash.add(std::to_string(w.size() / 10 * 10));
        } else {
            for (char c : w) hash.add(ascii_lower(c));
        }
        keys_.insert(hash.value());
    }

    const TokenizerLimits& limits_;
    std::unordered_set<uint64_t> keys_;
};

bool contains(std::string_view haystack, std::string_view needle) {
    return std::search(haystack.begin(), haystack.end(), std::boyer_moore_horspool_searcher(needle.begin(), needle.end())) !=
           haystack.end();
}

// The host of every http(s) URL in `text`, as "url:HOST".
void url_hosts(std::string_view text, Collector& out) {
    size_t at = 0;
    while (!out.full()) {
        size_t found = text.find("://", at);
        if (found == std::string_view::npos) return;
        at = found + 3;
        std::string_view before = text.substr(0, found);
        if (before.size() < 4 || !iequals(before.substr(before.size() - 4), "http")) {
            if (before.size() < 5 || !iequals(before.substr(before.size() - 5), "https")) continue;
        }
        size_t end = at;
        while (end < text.size() && end - at < 253) {
            unsigned char c = static_cast<unsigned char>(text[end]);
            if (!(std::isalnum(c) || c == '.' || c == '-')) break;
            ++end;
        }
        if (end > at) {
            out.add("url:" + to_lower(text.substr(at, end - at)));
        }
    }
}

class MessageWalk {
public:
    MessageWalk(std::string_view raw, const TokenizerLimits& limits, Collector& out, bool& gtube)
        : raw_(raw), limits_(limits), out_(out), gtube_(gtube) {}

    void header(const mime::Part& part) {
        std::string_view block = raw_.substr(part.header_start, part.body_start - part.header_start);
        mime::for_each_field(block, max_field, [&](std::string_view name, std::string value) {
            field(name, value);
            return !out_.full();
        });
    }

    void part(const mime::Part& p) {
        if (out_.full()) return;
        out_.add("ct:" + p.type + "/" + p.subtype);
        if (p.disposition && !p.disposition->type.empty()) attachment_name(p);
        if (p.kind == mime::PartKind::multipart) {
            for (const auto& child : p.children) part(child);
        } else if (p.kind == mime::PartKind::message) {
            for (const auto& child : p.children) {
                header(child);
                part(child);
            }
        } else if (p.is_text()) {
            text(p);
        }
    }

private:
    void field(std::string_view name, const std::string& value) {
        static const std::set<std::string, std::less<>> worded = {"subject", "from", "reply-to", "to", "x-mailer",
                                                                   "user-agent", "content-type", "message-id"};
        const std::string lower = to_lower(name);
        if (!worded.count(lower)) return;
        std::string decoded = mime::decode_encoded_words(value);
        out_.words(decoded, lower + ":");
        url_hosts(decoded, out_);
        if (lower == "subject" && contains(decoded, gtube)) gtube_ = true;
        if (lower == "from" || lower == "reply-to")
            for (const auto& entry : mime::parse_address_list(value, 10))
                if (entry.host) out_.add(lower + ":" + to_lower(printable_prefix(*entry.host, 253)));
    }

    void attachment_name(const mime::Part& p) {
        for (const auto& param : p.disposition->params) {
            if (param.name != "filename") continue;
            size_t dot = param.value.rfind('.');
            if (dot != std::string::npos && param.value.size() - dot <= 8)
                out_.words(param.value.substr(dot + 1), "attach:");
        }
    }

    void text(const mime::Part& p) {
        if (used_ >= limits_.max_text) return;
        const uint64_t end = std::min<uint64_t>(p.end, raw_.size());
        if (p.body_start >= end) return;
        // Base64 takes 4 bytes for 3: read enough raw bytes for the decoded budget.
        const size_t budget = std::min(limits_.max_part_text, limits_.max_text - used_);
        std::string_view body = raw_.substr(p.body_start, std::min<uint64_t>(end - p.body_start, budget / 3 * 4 + 4));
        std::string decoded = mime::decode_transfer_encoding(body, p.encoding);
        if (decoded.size() > budget) decoded.resize(budget);
        used_ += decoded.size();
        if (contains(decoded, gtube)) gtube_ = true;
        const std::string* charset = p.param("charset");
        std::optional<std::string> utf8 = charset ? mime::to_utf8(decoded, *charset) : std::nullopt;
        std::string content = utf8 ? std::move(*utf8) : mime::sanitize_utf8(decoded);
        url_hosts(content, out_);
        if (p.subtype == "html") content = mime::html_text(content);
        out_.words(content, "");
    }

    std::string_view raw_;
    const TokenizerLimits& limits_;
    Collector& out_;
    bool& gtube_;
    size_t used_ = 0;
};

std::string author_of(std::string_view header) {
    std::string author;
    mime::for_each_field(header, max_field, [&](std::string_view name, std::string value) {
        if (!iequals(name, "from")) return true;
        for (const auto& entry : mime::parse_address_list(value, 10))
            if (entry.kind == mime::AddressEntry::Kind::mailbox && entry.host && !entry.mailbox.empty()) {
                author = to_lower(printable_prefix(entry.mailbox + "@" + *entry.host, 254));
                break;
            }
        return false;
    });
    return author;
}

}  // namespace

Tokens tokenize_message(std::string_view message, const TokenizerLimits& limits) {
    Tokens result;
    // The test string is looked for in every byte: it is what admins send to try the filter.
    result.gtube = contains(message, gtube);
    std::string_view scanned = message.substr(0, std::min(message.size(), limits.max_scan));
    mime::Structure structure = mime::parse_message(scanned);
    Collector out(limits);
    MessageWalk walk(scanned, limits, out, result.gtube);
    walk.header(structure.root);
    const mime::Part& root = structure.root;
    result.author = author_of(scanned.substr(root.header_start, root.body_start - root.header_start));
    walk.part(structure.root);
    result.keys = out.take();
    return result;
}

uint64_t token_key(std::string_view token) {
    TokenHash hash;
    hash.add(token);
    return hash.value();
}

}  // namespace pochta::spam
