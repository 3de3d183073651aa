// parse_message: one pass per nesting level over the part's own byte range.
// Recursion is bounded by Limits::max_depth (containers deeper than that are
// kept as opaque text), and every scan is linear in the range it covers.
#include <algorithm>
#include <cstring>
#include <optional>

#include "common/mime/header.hpp"
#include "common/mime/params.hpp"
#include "common/mime/structure.hpp"
#include "common/util/strings.hpp"

namespace pochta::mime {

const std::string* Part::param(std::string_view name) const {
    for (const auto& p : params)
        if (p.name == name) return &p.value;
    return nullptr;
}

namespace {

// RFC 2046 allows 70; longer boundaries are refused so the per-line
// comparison stays cheap.
constexpr size_t max_boundary = 200;

bool is_token_char(char c) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 32 || u >= 127) return false;
    return std::string_view("()<>@,;:\\\"/[]?=").find(c) == std::string_view::npos;
}

bool is_token(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), is_token_char);
}

struct Delimiter {
    uint64_t line_start;  // where the delimiter line starts
    uint64_t content_end; // where the previous part's content ends (before the line end that precedes the line)
    uint64_t next;        // just past the delimiter line
    bool close;           // "--boundary--"
};

class Parser {
public:
    Parser(std::string_view raw, const Limits& limits) : raw_(raw), limits_(limits) {}

    Structure run() {
        Structure s;
        s.root.envelope.emplace();
        parse_entity(s.root, 0, raw_.size(), 0, false);
        s.part_count = parts_;
        s.truncated = truncated_;
        return s;
    }

private:
    void parse_entity(Part& part, uint64_t start, uint64_t end, uint32_t depth, bool digest) {
        part.header_start = start;
        part.body_start = find_header_end(raw_, start, end);
        part.end = end;
        if (!digest) {
            part.type = "text";
            part.subtype = "plain";
        } else {
            part.type = "message";
            part.subtype = "rfc822";
        }
        read_header(part);
        bool multipart = part.type == "multipart";
        bool message = part.type == "message" && part.subtype == "rfc822";
        if (message || part.is_text()) count_lines(part);
        if (!multipart && !message) return;

        const std::string* boundary = multipart ? part.param("boundary") : nullptr;
        bool usable = !multipart || (boundary && !boundary->empty() && boundary->size() <= max_boundary);
        if (!usable || depth >= limits_.max_depth || parts_ >= limits_.max_parts) {
            if (usable) truncated_ = true;
            make_opaque(part);
            return;
        }
        if (message) {
            part.kind = PartKind::message;
            Part& child = part.children.emplace_back();
            ++parts_;
            child.envelope.emplace();
            parse_entity(child, part.body_start, part.end, depth + 1, false);
            return;
        }
        part.kind = PartKind::multipart;
        parse_multipart(part, *boundary, depth, part.subtype == "digest");
    }

    // Kept as a single text part: its bytes remain reachable as BODY[n].
    void make_opaque(Part& part) const {
        part.kind = PartKind::leaf;
        part.type = "text";
        part.subtype = "plain";
        part.params.clear();
        count_lines(part);
    }

    // Only text and message/rfc822 parts report lines (RFC 3501 body-fld-lines);
    // counting them for containers too would rescan the message once per level.
    void count_lines(Part& part) const {
        const char* body = raw_.data() + part.body_start;
        part.body_lines = static_cast<uint64_t>(std::count(body, body + part.body_size(), '\n'));
    }

    void parse_multipart(Part& part, const std::string& boundary, uint32_t depth, bool digest) {
        auto first = find_delimiter(part.body_start, part.end, boundary);
        if (!first) return;
        Delimiter current = *first;
        while (!current.close) {
            if (parts_ >= limits_.max_parts) {
                truncated_ = true;
                return;
            }
            auto next = find_delimiter(current.next, part.end, boundary);
            uint64_t child_start = current.next;
            uint64_t child_end = next ? std::max(child_start, next->content_end) : part.end;
            Part& child = part.children.emplace_back();
            ++parts_;
            parse_entity(child, child_start, child_end, depth + 1, digest);
            if (!next) return;  // no closing delimiter: the last part ran to the end
            current = *next;
        }
    }

    // The next line in [from, end) that is "--boundary" or "--boundary--",
    // optionally followed by whitespace. `from` is always a line start.
    // memmem for "\n--boundary" keeps each level's scan fast: nested
    // multiparts rescan their own range once per level.
    std::optional<Delimiter> find_delimiter(uint64_t from, uint64_t end, std::string_view boundary) const {
        std::string needle = "\n--";
        needle += boundary;
        if (auto d = delimiter_at(from, end, boundary, from)) return d;
        uint64_t pos = from;
        while (pos < end) {
            const void* hit = memmem(raw_.data() + pos, end - pos, needle.data(), needle.size());
            if (!hit) return std::nullopt;
            uint64_t line_start = static_cast<uint64_t>(static_cast<const char*>(hit) - raw_.data()) + 1;
            if (auto d = delimiter_at(line_start, end, boundary, from)) return d;
            pos = line_start;
        }
        return std::nullopt;
    }

    // The delimiter whose line starts at `pos`, if that line is one.
    std::optional<Delimiter> delimiter_at(uint64_t pos, uint64_t end, std::string_view boundary, uint64_t floor) const {
        const char* lf = pos < end ? static_cast<const char*>(memchr(raw_.data() + pos, '\n', end - pos)) : nullptr;
        uint64_t line_end = lf ? static_cast<uint64_t>(lf - raw_.data()) + 1 : end;
        std::string_view line = raw_.substr(pos, line_end - pos);
        if (line.size() < boundary.size() + 2 || line[0] != '-' || line[1] != '-' ||
            line.substr(2, boundary.size()) != boundary)
            return std::nullopt;
        std::string_view rest = line.substr(boundary.size() + 2);
        bool close = rest.size() >= 2 && rest[0] == '-' && rest[1] == '-';
        if (close) rest.remove_prefix(2);
        bool only_space = std::all_of(rest.begin(), rest.end(), [](char c) {
            return c == ' ' || c == '\t' || c == '\r' || c == '\n';
        });
        if (!close && !only_space) return std::nullopt;
        return Delimiter{pos, content_end_before(pos, floor), line_end, close};
    }

    // The line end before a delimiter belongs to the delimiter (RFC 2046 5.1.1).
    uint64_t content_end_before(uint64_t line_start, uint64_t floor) const {
        uint64_t e = line_start;
        if (e > floor && raw_[e - 1] == '\n') {
            --e;
            if (e > floor && raw_[e - 1] == '\r') --e;
        }
        return e;
    }

    void read_header(Part& part) {
        uint64_t header_size = part.body_start - part.header_start;
        if (header_size > limits_.max_header_bytes) {
            header_size = limits_.max_header_bytes;
            truncated_ = true;
        }
        std::string_view header = raw_.substr(part.header_start, header_size);
        bool seen_type = false, seen_encoding = false, seen_disposition = false, seen_language = false;
        for_each_field(header, limits_.max_field_bytes, [&](std::string_view name, std::string value) {
            if (istarts_with(name, "content-")) {
                std::string_view n = name.substr(8);
                if (iequals(n, "type") && !seen_type) {
                    seen_type = true;
                    set_content_type(part, value);
                } else if (iequals(n, "transfer-encoding") && !seen_encoding) {
                    seen_encoding = true;
                    std::string enc = strip_comments(value);
                    if (is_token(enc)) part.encoding = enc;
                } else if (iequals(n, "id")) {
                    if (!part.id) part.id = value;
                } else if (iequals(n, "description")) {
                    if (!part.description) part.description = value;
                } else if (iequals(n, "md5")) {
                    if (!part.md5) part.md5 = value;
                } else if (iequals(n, "location")) {
                    if (!part.location) part.location = value;
                } else if (iequals(n, "disposition") && !seen_disposition) {
                    seen_disposition = true;
                    set_disposition(part, value);
                } else if (iequals(n, "language") && !seen_language) {
                    seen_language = true;
                    part.languages = parse_language_list(value);
                }
            } else if (part.envelope) {
                note_envelope_field(*part.envelope, name, std::move(value));
            }
            return true;
        });
    }

    void set_content_type(Part& part, std::string_view value) {
        StructuredValue v = parse_structured(value, limits_.max_params);
        size_t slash = v.value.find('/');
        if (slash == std::string::npos) return;  // invalid: the default stays (RFC 2045 5.2)
        std::string type = to_lower(std::string_view(v.value).substr(0, slash));
        std::string subtype = to_lower(std::string_view(v.value).substr(slash + 1));
        if (!is_token(type) || !is_token(subtype)) return;
        part.type = std::move(type);
        part.subtype = std::move(subtype);
        part.params = std::move(v.params);
    }

    void set_disposition(Part& part, std::string_view value) {
        StructuredValue v = parse_structured(value, limits_.max_params);
        if (!is_token(v.value)) return;
        part.disposition = Disposition{to_lower(v.value), std::move(v.params)};
    }

    static void note_envelope_field(EnvelopeFields& e, std::string_view name, std::string value) {
        struct Slot {
            std::string_view name;
            std::optional<std::string> EnvelopeFields::*field;
        };
        static const Slot slots[] = {
            {"date", &EnvelopeFields::date},       {"subject", &EnvelopeFields::subject},
            {"from", &EnvelopeFields::from},       {"sender", &EnvelopeFields::sender},
            {"reply-to", &EnvelopeFields::reply_to}, {"to", &EnvelopeFields::to},
            {"cc", &EnvelopeFields::cc},           {"bcc", &EnvelopeFields::bcc},
            {"in-reply-to", &EnvelopeFields::in_reply_to}, {"message-id", &EnvelopeFields::message_id},
        };
        for (const auto& slot : slots) {
            if (iequals(name, slot.name)) {
                auto& field = e.*(slot.field);
                if (!field) field = std::move(value);
                return;
            }
        }
    }

    std::string_view raw_;
    const Limits& limits_;
    uint32_t parts_ = 1;
    bool truncated_ = false;
};

}  // namespace

Structure parse_message(std::string_view raw, const Limits& limits) {
    return Parser(raw, limits).run();
}

}  // namespace pochta::mime
