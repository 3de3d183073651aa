// Fuzzes the stored per-message IMAP summary (imap/fetch_summary) and the
// decoding of stored MIME structures (mime::deserialize): both are read back
// from disk, where a damaged row must be refused, never trusted or crash.
//
// Input: one flag byte (bit 0: small MIME limits), then bytes used three ways:
//  1. as a stored summary: parse_fetch_summary never crashes; a summary it
//     accepts is "imap1:<n>:" followed by exactly the two non-empty views
//     into the input;
//  2. as a stored structure: deserialize never crashes; a structure it
//     accepts is a consistent tree (offsets nested, kinds agreeing with
//     types, part_count right), re-encodes to itself, renders to well-formed
//     IMAP, and its summary parses back to the renderers' output; a refused
//     one has an empty summary;
//  3. as a message (differential): make_fetch_summary(serialize(parse_message(x)))
//     parses back and equals render_envelope / render_bodystructure of the
//     parsed tree, which are well-formed IMAP.
// fuzz_mime covers the encoding of parsed messages and single-byte damage to
// it; this target adds arbitrary bytes.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/mime/section.hpp"
#include "common/mime/structure.hpp"
#include "imap/bodystructure.hpp"
#include "imap/envelope.hpp"
#include "imap/fetch_summary.hpp"
#include "tests/fuzz/fuzz_check.hpp"
#include "tests/fuzz/fuzz_mime_limits.hpp"

using namespace pochta;

namespace {

// A checker of the IMAP response syntax the renderers must produce:
// parenthesized lists of NIL, numbers, quoted strings and literals, items
// separated by one space or none (body-type-mpart puts bodies side by side).
class ImapSyntax {
public:
    explicit ImapSyntax(std::string_view text) : text_(text) {}

    // True when the whole text is one list.
    bool whole_list() { return list(0) && pos_ == text_.size(); }

private:
    bool list(int depth) {
        if (depth > 600 || !eat('(')) return false;
        if (eat(')')) return true;
        for (;;) {
            if (!value(depth)) return false;
            if (eat(')')) return true;
            if (eat(' ') && peek() == ')') return false;  // no space before ')'
        }
    }
    bool value(int depth) {
        char c = peek();
        if (c == '(') return list(depth + 1);
        if (c == '"') return quoted();
        if (c == '{') return literal();
        if (c >= '0' && c <= '9') return number();
        if (text_.substr(pos_, 3) == "NIL") {
            pos_ += 3;
            return true;
        }
        return false;
    }
    bool quoted() {
        ++pos_;
        while (pos_ < text_.size()) {
            auto c = static_cast<unsigned char>(text_[pos_++]);
            if (c == '"') return true;
            if (c == 0 || c == '\r' || c == '\n' || c >= 0x80) return false;
            if (c == '\\') {
                if (pos_ >= text_.size() || (text_[pos_] != '"' && text_[pos_] != '\\')) return false;
                ++pos_;
            }
        }
        return false;
    }
    bool literal() {
        ++pos_;
        size_t start = pos_;
        uint64_t n = 0;
        while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9' && pos_ - start < 12)
            n = n * 10 + static_cast<uint64_t>(text_[pos_++] - '0');
        if (pos_ == start || text_.substr(pos_, 3) != "}\r\n") return false;
        pos_ += 3;
        if (n > text_.size() - pos_) return false;
        if (text_.substr(pos_, n).find('\0') != std::string_view::npos) return false;
        pos_ += n;
        return true;
    }
    bool number() {
        size_t start = pos_;
        while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_;
        return pos_ - start <= 20;
    }
    char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
    bool eat(char c) {
        if (peek() != c || pos_ >= text_.size()) return false;
        ++pos_;
        return true;
    }

    std::string_view text_;
    size_t pos_ = 0;
};

bool well_formed(std::string_view rendered) {
    return ImapSyntax(rendered).whole_list();
}

void check_summary_bytes(std::string_view bytes) {
    std::optional<imap::FetchSummary> summary = imap::parse_fetch_summary(bytes);
    if (!summary) return;
    FUZZ_CHECK(bytes.starts_with("imap1:"));
    FUZZ_CHECK(!summary->envelope.empty() && !summary->bodystructure.empty());
    const char* begin = bytes.data();
    const char* end = bytes.data() + bytes.size();
    FUZZ_CHECK(summary->envelope.data() > begin && summary->envelope.data() < end);
    FUZZ_CHECK(summary->envelope.data() + summary->envelope.size() == summary->bodystructure.data());
    FUZZ_CHECK(summary->bodystructure.data() + summary->bodystructure.size() == end);
    std::string_view length = bytes.substr(6, static_cast<size_t>(summary->envelope.data() - begin) - 7);
    FUZZ_CHECK(bytes[6 + length.size()] == ':' && !length.empty());
    uint64_t n = 0;
    for (char c : length) {
        FUZZ_CHECK(c >= '0' && c <= '9');
        n = n * 10 + static_cast<uint64_t>(c - '0');
    }
    FUZZ_CHECK(n == summary->envelope.size());
}

void check_tree(const mime::Part& p, uint64_t floor, uint64_t ceiling, uint32_t& count) {
    ++count;
    FUZZ_CHECK(floor <= p.header_start && p.header_start <= p.body_start && p.body_start <= p.end &&
               p.end <= ceiling);
    FUZZ_CHECK(p.body_lines <= p.body_size());
    bool multipart = p.type == "multipart";
    bool message = p.type == "message" && p.subtype == "rfc822";
    switch (p.kind) {
        case mime::PartKind::leaf: FUZZ_CHECK(!multipart && !message && p.children.empty()); break;
        case mime::PartKind::multipart: FUZZ_CHECK(multipart); break;
        case mime::PartKind::message: FUZZ_CHECK(message && p.children.size() == 1); break;
    }
    for (const auto& c : p.children) check_tree(c, p.body_start, p.end, count);
}

// What FETCH would send for the structure, checked for syntax, and the
// stored summary of it checked against that.
void check_rendering(const mime::Structure& s, const std::string& serialized) {
    std::string envelope = imap::render_envelope(s.root);
    std::string bodystructure = imap::render_bodystructure(s.root, true);
    FUZZ_CHECK(well_formed(envelope));
    FUZZ_CHECK(well_formed(bodystructure));
    FUZZ_CHECK(well_formed(imap::render_bodystructure(s.root, false)));

    std::string stored = imap::make_fetch_summary(serialized);
    std::optional<imap::FetchSummary> summary = imap::parse_fetch_summary(stored);
    FUZZ_CHECK(summary.has_value());
    FUZZ_CHECK(summary->envelope == envelope);
    FUZZ_CHECK(summary->bodystructure == bodystructure);
}

void check_sections(const mime::Part& root) {
    const std::vector<std::vector<uint32_t>> paths = {{}, {1}, {2}, {1, 1}, {2, 1}, {1, 2}, {3, 1, 1}};
    for (const auto& path : paths)
        for (auto text : {mime::SectionText::all, mime::SectionText::header, mime::SectionText::text,
                          mime::SectionText::mime})
            if (auto r = mime::section_range(root, path, text))
                FUZZ_CHECK(root.header_start <= r->begin && r->begin <= r->end && r->end <= root.end);
}

void check_structure_bytes(std::string_view bytes) {
    std::optional<mime::Structure> s = mime::deserialize(bytes);
    if (!s) {
        FUZZ_CHECK(imap::make_fetch_summary(std::string(bytes)).empty());
        return;
    }
    uint32_t count = 0;
    check_tree(s->root, 0, UINT64_MAX, count);
    FUZZ_CHECK(count == s->part_count);
    // Non-minimal varints decode too, so the bytes need not come back the
    // same; the structure must.
    std::string again = mime::serialize(*s);
    FUZZ_CHECK(mime::deserialize(again) == s);
    check_rendering(*s, std::string(bytes));
    check_sections(s->root);
}

void check_message(std::string_view raw, const mime::Limits& limits) {
    mime::Structure s = mime::parse_message(raw, limits);
    std::string serialized = mime::serialize(s);
    check_rendering(s, serialized);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    mime::Limits limits = fuzz::mime_limits(data[0]);
    std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);
    check_summary_bytes(bytes);
    check_structure_bytes(bytes);
    check_message(bytes, limits);
    return 0;
}
