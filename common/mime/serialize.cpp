// The index encoding of a Structure: a version byte, then the tree in
// pre-order. Integers are LEB128 varints, strings are length-prefixed,
// optional strings carry a presence byte. Decoding checks every length
// against the remaining input and every offset against its parent, so a
// corrupt row gives nullopt, never a bad tree.
#include <limits>

#include "common/mime/structure.hpp"

namespace pochta::mime {

namespace {

constexpr uint8_t format_version = 1;
// Deeper than any tree parse_message can build with sane limits; only
// protects the decoder's recursion.
constexpr uint32_t max_decode_depth = 256;

class Writer {
public:
    void u(uint64_t v) {
        while (v >= 0x80) {
            out_.push_back(static_cast<char>((v & 0x7F) | 0x80));
            v >>= 7;
        }
        out_.push_back(static_cast<char>(v));
    }
    void s(std::string_view v) {
        u(v.size());
        out_.append(v);
    }
    void opt(const std::optional<std::string>& v) {
        out_.push_back(v ? 1 : 0);
        if (v) s(*v);
    }
    void params(const std::vector<Param>& ps) {
        u(ps.size());
        for (const auto& p : ps) {
            s(p.name);
            s(p.value);
        }
    }
    void part(const Part& p) {
        u(p.header_start);
        u(p.body_start - p.header_start);
        u(p.end - p.body_start);
        u(p.body_lines);
        out_.push_back(static_cast<char>(p.kind));
        s(p.type);
        s(p.subtype);
        params(p.params);
        opt(p.id);
        opt(p.description);
        opt(p.md5);
        opt(p.location);
        s(p.encoding);
        out_.push_back(p.disposition ? 1 : 0);
        if (p.disposition) {
            s(p.disposition->type);
            params(p.disposition->params);
        }
        u(p.languages.size());
        for (const auto& l : p.languages) s(l);
        out_.push_back(p.envelope ? 1 : 0);
        if (p.envelope) {
            const EnvelopeFields& e = *p.envelope;
            for (const auto* f : {&e.date, &e.subject, &e.from, &e.sender, &e.reply_to, &e.to, &e.cc, &e.bcc,
                                  &e.in_reply_to, &e.message_id})
                opt(*f);
        }
        u(p.children.size());
        for (const auto& c : p.children) part(c);
    }
    std::string take() { return std::move(out_); }

private:
    std::string out_;
};

// The renderers rely on what parse_message guarantees: multipart and
// message/rfc822 types appear only on parts of that kind.
bool consistent_kind(const Part& p) {
    bool multipart = p.type == "multipart";
    bool message = p.type == "message" && p.subtype == "rfc822";
    switch (p.kind) {
        case PartKind::leaf: return !multipart && !message;
        case PartKind::multipart: return multipart;
        case PartKind::message: return message;
    }
    return false;
}

class Reader {
public:
    explicit Reader(std::string_view in) : in_(in) {}

    bool done() const { return pos_ == in_.size(); }

    bool byte(uint8_t& v) {
        if (pos_ >= in_.size()) return false;
        v = static_cast<uint8_t>(in_[pos_++]);
        return true;
    }
    bool u(uint64_t& v) {
        v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            uint8_t b;
            if (!byte(b)) return false;
            if (shift == 63 && b > 1) return false;
            v |= static_cast<uint64_t>(b & 0x7F) << shift;
            if (!(b & 0x80)) return true;
        }
        return false;
    }
    bool s(std::string& v) {
        uint64_t n;
        if (!u(n) || n > in_.size() - pos_) return false;
        v.assign(in_.substr(pos_, n));
        pos_ += n;
        return true;
    }
    bool opt(std::optional<std::string>& v) {
        uint8_t present;
        if (!byte(present) || present > 1) return false;
        if (!present) {
            v.reset();
            return true;
        }
        return s(v.emplace());
    }
    // A count of items each at least `min_size` bytes long must fit in the rest.
    bool count(uint64_t& n, size_t min_size) {
        return u(n) && n <= (in_.size() - pos_) / min_size;
    }
    bool params(std::vector<Param>& ps) {
        uint64_t n;
        if (!count(n, 2)) return false;
        ps.resize(n);
        for (auto& p : ps)
            if (!s(p.name) || !s(p.value)) return false;
        return true;
    }
    bool offsets(Part& p, uint64_t floor, uint64_t ceiling) {
        uint64_t header_len, body_len;
        if (!u(p.header_start) || !u(header_len) || !u(body_len) || !u(p.body_lines)) return false;
        if (p.header_start < floor || p.header_start > ceiling) return false;
        if (header_len > ceiling - p.header_start) return false;
        p.body_start = p.header_start + header_len;
        if (body_len > ceiling - p.body_start) return false;
        p.end = p.body_start + body_len;
        return p.body_lines <= body_len;
    }
    bool part(Part& p, uint64_t floor, uint64_t ceiling, uint32_t depth, uint64_t& budget) {
        if (depth > max_decode_depth || budget == 0) return false;
        --budget;
        uint8_t kind, has_disposition, has_envelope;
        if (!offsets(p, floor, ceiling) || !byte(kind) || kind > 2) return false;
        p.kind = static_cast<PartKind>(kind);
        if (!s(p.type) || !s(p.subtype) || !params(p.params)) return false;
        if (!consistent_kind(p)) return false;
        if (!opt(p.id) || !opt(p.description) || !opt(p.md5) || !opt(p.location) || !s(p.encoding)) return false;
        if (!byte(has_disposition) || has_disposition > 1) return false;
        if (has_disposition) {
            p.disposition.emplace();
            if (!s(p.disposition->type) || !params(p.disposition->params)) return false;
        }
        uint64_t languages;
        if (!count(languages, 1)) return false;
        p.languages.resize(languages);
        for (auto& l : p.languages)
            if (!s(l)) return false;
        if (!byte(has_envelope) || has_envelope > 1) return false;
        if (has_envelope) {
            EnvelopeFields& e = p.envelope.emplace();
            for (auto* f : {&e.date, &e.subject, &e.from, &e.sender, &e.reply_to, &e.to, &e.cc, &e.bcc,
                            &e.in_reply_to, &e.message_id})
                if (!opt(*f)) return false;
        }
        uint64_t children;
        if (!count(children, 8)) return false;
        if (p.kind == PartKind::leaf && children != 0) return false;
        if (p.kind == PartKind::message && children != 1) return false;
        p.children.resize(children);
        for (auto& c : p.children)
            if (!part(c, p.body_start, p.end, depth + 1, budget)) return false;
        return true;
    }

private:
    std::string_view in_;
    size_t pos_ = 0;
};

}  // namespace

std::string serialize(const Structure& structure) {
    Writer w;
    w.u(format_version);
    w.u(structure.part_count);
    w.u(structure.truncated ? 1 : 0);
    w.part(structure.root);
    return w.take();
}

std::optional<Structure> deserialize(std::string_view bytes) {
    Reader r(bytes);
    uint64_t version, count, truncated;
    if (!r.u(version) || version != format_version) return std::nullopt;
    if (!r.u(count) || count == 0 || count > std::numeric_limits<uint32_t>::max()) return std::nullopt;
    if (!r.u(truncated) || truncated > 1) return std::nullopt;
    Structure s;
    s.part_count = static_cast<uint32_t>(count);
    s.truncated = truncated == 1;
    uint64_t budget = count;
    if (!r.part(s.root, 0, std::numeric_limits<uint64_t>::max(), 0, budget)) return std::nullopt;
    if (budget != 0 || !r.done()) return std::nullopt;
    return s;
}

}  // namespace pochta::mime
