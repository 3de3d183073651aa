#include "mailauth/dkim_canon.hpp"

#include <openssl/evp.h>

#include <map>
#include <memory>
#include <stdexcept>

#include "common/util/strings.hpp"
#include "mailauth/dkim_tags.hpp"

namespace pochta::mailauth {

namespace {

bool is_wsp(char c) { return c == ' ' || c == '\t'; }

class Sha256Context {
public:
    Sha256Context() : ctx_(EVP_MD_CTX_new(), EVP_MD_CTX_free) {
        if (!ctx_ || EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) != 1)
            throw std::runtime_error("SHA-256 unavailable");
    }
    void update(std::string_view data) { EVP_DigestUpdate(ctx_.get(), data.data(), data.size()); }
    Sha256 finish() {
        Sha256 out{};
        EVP_DigestFinal_ex(ctx_.get(), out.data(), nullptr);
        return out;
    }

private:
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx_;
};

// Feeds the canonical body to the hash, up to the limit, counting all of
// it. The bytes are gathered in a bounded buffer and hashed a block at a
// time: a call into the digest per line cost more than the hashing.
class BodySink {
public:
    explicit BodySink(std::optional<uint64_t> limit) : limit_(limit) { buffer_.reserve(block); }
    void put(std::string_view data) {
        if (limit_) {
            const uint64_t room = *limit_ > length_ ? *limit_ - length_ : 0;
            buffer_ += data.substr(0, std::min<uint64_t>(room, data.size()));
        } else {
            buffer_ += data;
        }
        length_ += data.size();
        if (buffer_.size() >= block) flush();
    }
    BodyHash finish() {
        flush();
        return BodyHash{sha_.finish(), length_};
    }

private:
    static constexpr size_t block = 16 * 1024;
    void flush() {
        sha_.update(buffer_);
        buffer_.clear();
    }

    Sha256Context sha_;
    std::optional<uint64_t> limit_;
    uint64_t length_ = 0;
    std::string buffer_;
};

// RFC 6376 3.4.4: runs of WSP become one SP, WSP at the end of the line
// goes; written to `out` (cleared first), whose capacity is reused.
void relaxed_line_into(std::string_view line, std::string& out) {
    out.clear();
    bool space = false;
    for (char c : line) {
        if (is_wsp(c)) {
            space = true;
            continue;
        }
        if (space) out += ' ';
        space = false;
        out += c;
    }
}

// A body line in relaxed form: the line itself when it is in that form
// already (no tab, no run of spaces, none at the end: most lines of most
// mail), else the form written to `scratch`.
std::string_view relaxed_body_line(std::string_view line, std::string& scratch) {
    if (line.empty()) return line;
    // Without an early exit, so the compiler can vectorise the scan.
    bool changes = line.back() == ' ' || line.back() == '\t';
    for (size_t i = 0; i + 1 < line.size(); i++)
        changes |= (line[i] == '\t') | ((line[i] == ' ') & (line[i + 1] == ' '));
    if (!changes) return line;
    relaxed_line_into(line, scratch);
    return scratch;
}

std::string relaxed_line(std::string_view line) {
    std::string out;
    out.reserve(line.size());
    relaxed_line_into(line, out);
    return out;
}

// RFC 6376 3.4.5: unfold, runs of WSP become one SP, none at either end.
std::string relaxed_value(std::string_view value) {
    std::string unfolded;
    unfolded.reserve(value.size());
    for (char c : value)
        if (c != '\r' && c != '\n') unfolded += c;
    std::string out = relaxed_line(unfolded);
    if (!out.empty() && out.front() == ' ') out.erase(0, 1);
    return out;
}

// Simple canonicalisation keeps the field but writes every line end as CRLF.
std::string simple_field(std::string_view raw) {
    std::string out;
    out.reserve(raw.size() + 8);
    for (size_t i = 0; i < raw.size(); i++) {
        if (raw[i] == '\n' && (i == 0 || raw[i - 1] != '\r')) out += '\r';
        out += raw[i];
    }
    return out + "\r\n";
}

// The signature field without its b= value (RFC 6376 3.5, "b=").
std::string without_b_value(std::string_view raw) {
    const size_t colon = raw.find(':');
    if (colon == std::string_view::npos) return std::string(raw);
    const std::string_view value = raw.substr(colon + 1);
    DkimTagList tags = parse_dkim_tag_list(value);
    const DkimTag* b = tags.find("b");
    if (!b) return std::string(raw);
    std::string out(raw.substr(0, colon + 1 + b->value_begin));
    out += raw.substr(colon + 1 + b->value_end);
    return out;
}

}  // namespace

std::string_view HeaderField::value() const {
    const size_t colon = raw.find(':');
    return colon == std::string_view::npos ? std::string_view{} : raw.substr(colon + 1);
}

SplitMessage split_message(std::string_view message) {
    SplitMessage out;
    size_t pos = 0;
    size_t field_start = std::string_view::npos;
    auto close_field = [&](size_t end) {
        if (field_start == std::string_view::npos) return;
        std::string_view raw = message.substr(field_start, end - field_start);
        if (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
        const size_t colon = raw.find(':');
        out.fields.push_back(HeaderField{trim(raw.substr(0, colon == std::string_view::npos ? 0 : colon)), raw});
        field_start = std::string_view::npos;
    };
    while (pos < message.size()) {
        size_t eol = message.find('\n', pos);
        const size_t line_end = eol == std::string_view::npos ? message.size() : eol;
        std::string_view line = message.substr(pos, line_end - pos);
        if (line.empty() || line == "\r") {   // the blank line: the body follows
            close_field(pos > 0 ? pos - 1 : 0);
            out.body = eol == std::string_view::npos ? std::string_view{} : message.substr(eol + 1);
            return out;
        }
        if (!is_wsp(line.front())) {   // a new field; a line starting with WSP continues the last one
            close_field(pos > 0 ? pos - 1 : 0);
            field_start = pos;
        }
        if (eol == std::string_view::npos) break;
        pos = eol + 1;
    }
    close_field(message.size() > 0 && message.back() == '\n' ? message.size() - 1 : message.size());
    return out;
}

std::string canonical_header(std::string_view raw_field, DkimCanon canon) {
    if (canon == DkimCanon::simple) return simple_field(raw_field);
    const size_t colon = raw_field.find(':');
    std::string name = to_lower(raw_field.substr(0, colon));
    while (!name.empty() && is_wsp(name.back())) name.pop_back();
    const std::string_view value = colon == std::string_view::npos ? std::string_view{} : raw_field.substr(colon + 1);
    return name + ":" + relaxed_value(value) + "\r\n";
}

BodyHash hash_body(std::string_view body, DkimCanon canon, std::optional<uint64_t> limit) {
    BodySink sink(limit);
    size_t empty_lines = 0;   // held back: trailing empty lines are dropped (RFC 6376 3.4.3, 3.4.4)
    bool any_line = false;
    size_t pos = 0;
    std::string relaxed;
    while (pos < body.size()) {
        const size_t eol = body.find('\n', pos);
        const size_t end = eol == std::string_view::npos ? body.size() : eol;
        std::string_view line = body.substr(pos, end - pos);
        if (eol != std::string_view::npos && !line.empty() && line.back() == '\r') line.remove_suffix(1);
        pos = eol == std::string_view::npos ? body.size() : eol + 1;
        if (canon == DkimCanon::relaxed) line = relaxed_body_line(line, relaxed);
        if (line.empty()) {
            empty_lines++;
            continue;
        }
        for (; empty_lines > 0; empty_lines--) sink.put("\r\n");
        sink.put(line);
        sink.put("\r\n");
        any_line = true;
    }
    // An empty simple body is one CRLF; an empty relaxed body is nothing.
    if (!any_line && canon == DkimCanon::simple) sink.put("\r\n");
    return sink.finish();
}

Sha256 hash_headers(const std::vector<HeaderField>& fields, const std::vector<std::string>& names,
                    std::string_view signature_raw, DkimCanon canon) {
    // For each name, the instances not taken yet, the bottom-most last.
    std::map<std::string, std::vector<size_t>> unused;
    for (const auto& name : names) unused.try_emplace(name);
    for (size_t i = 0; i < fields.size(); i++) {
        auto it = unused.find(to_lower(fields[i].name));
        if (it != unused.end()) it->second.push_back(i);
    }
    Sha256Context sha;
    for (const auto& name : names) {
        auto& instances = unused[name];
        if (instances.empty()) continue;
        sha.update(canonical_header(fields[instances.back()].raw, canon));
        instances.pop_back();
    }
    std::string signature = canonical_header(without_b_value(signature_raw), canon);
    signature.resize(signature.size() - 2);   // no CRLF after the signature field itself
    sha.update(signature);
    return sha.finish();
}

}  // namespace pochta::mailauth
