#include "imap/fetch_render.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <ctime>
#include <optional>

#include "common/mime/section.hpp"
#include "common/mime/structure.hpp"
#include "common/util/strings.hpp"
#include "imap/binary_section.hpp"
#include "imap/crlf.hpp"
#include "imap/bodystructure.hpp"
#include "imap/envelope.hpp"
#include "imap/fetch_summary.hpp"
#include "imap/flags.hpp"
#include "imap/mailbox_view.hpp"
#include "imap/preview.hpp"
#include "imap/response.hpp"
#include "store/store.hpp"

namespace pochta::imap {
namespace {

constexpr uint64_t read_chunk = 8 << 20;

// Renders one message from its row; holds the structure once parsed.
class Renderer {
public:
    Renderer(store::Store& store, const FetchMessage& m, const store::MessageRow& row)
        : store_(store), m_(m), row_(row), info_(row.info) {
        same_bytes_ = info_.size == info_.crlf_size;
    }

    std::vector<FetchPiece> run(const std::vector<FetchItem>& items) {
        pieces_.push_back({});
        text() += fmt::format("* {} FETCH (", m_.seq);
        bool first = true;
        bool flags_done = false;
        for (const auto& item : items) {
            if (!first) text() += ' ';
            first = false;
            if (item.kind == FetchItem::Kind::flags) flags_done = true;
            item_(item);
        }
        if (m_.report_flags && !flags_done) {
            if (!first) text() += ' ';
            flags();
        }
        text() += ")\r\n";
        return std::move(pieces_);
    }

private:
    std::string& text() { return pieces_.back().text; }

    void flags() { text() += "FLAGS " + flag_list(flag_names(info_.flags, info_.keywords, m_.recent)); }

    const mime::Part& root() {
        if (!structure_) {
            auto s = mime::deserialize(row_.structure.empty() ? store_.message_structure(info_.id) : row_.structure);
            if (!s) throw store::StoreError("unreadable message structure");
            structure_ = std::move(*s);
        }
        return structure_->root;
    }

    // ENVELOPE and BODYSTRUCTURE come from the summary when it is usable.
    void envelope() {
        text() += "ENVELOPE ";
        if (auto summary = parse_fetch_summary(row_.summary))
            text() += summary->envelope;
        else
            text() += render_envelope(root());
    }

    void bodystructure() {
        text() += "BODYSTRUCTURE ";
        if (auto summary = parse_fetch_summary(row_.summary))
            text() += summary->bodystructure;
        else
            text() += render_bodystructure(root(), true);
    }

    // Stored bytes [begin, end): from the row when the message is inline.
    std::string read_bytes(uint64_t begin, uint64_t end) {
        if (row_.content) {
            begin = std::min<uint64_t>(begin, row_.content->size());
            return row_.content->substr(begin, std::max(begin, end) - begin);
        }
        std::string out;
        while (begin < end) {
            std::string part = store_.read_range(info_.id, begin, std::min(end - begin, read_chunk));
            if (part.empty()) break;
            begin += part.size();
            out += part;
        }
        return out;
    }

    void item_(const FetchItem& item) {
        using K = FetchItem::Kind;
        switch (item.kind) {
            case K::flags: return flags();
            case K::uid: text() += fmt::format("UID {}", info_.uid); return;
            case K::modseq: text() += fmt::format("MODSEQ ({})", wire_modseq(info_.modseq)); return;
            case K::internaldate: text() += "INTERNALDATE \"" + format_internaldate(info_.internal_date) + "\""; return;
            case K::rfc822_size: text() += fmt::format("RFC822.SIZE {}", info_.crlf_size); return;
            case K::envelope: return envelope();
            case K::body: text() += "BODY " + render_bodystructure(root(), false); return;
            case K::bodystructure: return bodystructure();
            case K::rfc822: text() += "RFC822 "; return content(0, info_.size, std::nullopt);
            case K::rfc822_header: {
                text() += "RFC822.HEADER ";
                return content(root().header_start, root().body_start, std::nullopt);
            }
            case K::rfc822_text: text() += "RFC822.TEXT "; return content(root().body_start, root().end, std::nullopt);
            case K::body_section: return section(item);
            case K::binary:
            case K::binary_size: return binary(item);
            // OBJECTID (RFC 8474): a row id is never reused and a MOVE keeps
            // it; threads are not tracked, so THREADID is NIL (section 5.2).
            case K::emailid: text() += fmt::format("EMAILID (M{})", info_.id); return;
            case K::threadid: text() += "THREADID NIL"; return;
            case K::savedate: return savedate();
            case K::preview: return preview();
        }
    }

    // RFC 8514: NIL for messages stored before the store kept the date.
    void savedate() {
        text() += "SAVEDATE ";
        text() += info_.save_date ? "\"" + format_internaldate(info_.save_date) + "\"" : std::string("NIL");
    }

    void preview() {
        std::string excerpt = message_preview(root(), [this](uint64_t begin, uint64_t end) {
            return read_bytes(begin, std::min(end, info_.size));
        });
        text() += "PREVIEW " + quote_or_literal(excerpt);
    }

    // BINARY[...] and BINARY.SIZE[...]: decoding in imap/binary_section.
    void binary(const FetchItem& item) {
        std::string data = binary_content(root(), item.section.part, [this](uint64_t begin, uint64_t end) {
            return read_bytes(begin, std::min(end, info_.size));
        });
        text() += item.response_name() + ' ';
        if (item.kind == FetchItem::Kind::binary_size) text() += std::to_string(data.size());
        else text() += binary_literal(std::move(data), item.partial);
    }

    void section(const FetchItem& item) {
        text() += item.response_name() + ' ';
        const FetchSection& s = item.section;
        if (s.part.empty() && s.text == FetchSection::Text::none) return content(0, info_.size, item.partial);
        using T = FetchSection::Text;
        mime::SectionText which = s.text == T::text ? mime::SectionText::text
                                  : s.text == T::mime ? mime::SectionText::mime
                                  : s.text == T::none ? mime::SectionText::all
                                                      : mime::SectionText::header;
        auto range = mime::section_range(root(), s.part, which);
        if (!range) {
            text() += "\"\"";  // a part that does not exist is empty (RFC 3501 6.4.5)
            return;
        }
        if (s.text == T::header_fields || s.text == T::header_fields_not) {
            std::string header = to_crlf(read_bytes(range->begin, range->end));
            return literal(filter_header(header, s.fields, s.text == T::header_fields_not), item.partial);
        }
        // The body of a binary part has no lines to mend: it goes out as
        // stored, as BINARY[] has it.
        if (s.text == T::none && is_binary_leaf(s.part))
            return literal(read_bytes(range->begin, std::min(range->end, info_.size)), item.partial);
        content(range->begin, range->end, item.partial);
    }

    // Stored bytes [begin, end) as a literal, partial applied to the wire form.
    void content(uint64_t begin, uint64_t end, const std::optional<FetchPartial>& partial) {
        end = std::max(begin, std::min(end, info_.size));
        if (!same_bytes_) return literal(to_crlf(read_bytes(begin, end)), partial);
        if (partial) {
            begin = std::min(end, begin + partial->origin);
            end = std::min(end, begin + partial->count);
        }
        uint64_t length = end - begin;
        if (length > kStreamThreshold) {
            text() += fmt::format("{{{}}}\r\n", length);
            pieces_.back().message_id = info_.id;
            pieces_.back().offset = begin;
            pieces_.back().length = length;
            pieces_.push_back({});
            return;
        }
        literal(read_bytes(begin, end), std::nullopt);
    }

    // A literal may not carry NUL (RFC 3501's CHAR8 excludes it) and
    // literal8 belongs to BINARY[] (RFC 3516 4.2): a NUL in what BODY[]
    // sends becomes 0x80, as Dovecot does. BINARY[] gives the exact octets.
    void literal(std::string data, const std::optional<FetchPartial>& partial) {
        if (partial) data = data.substr(std::min<uint64_t>(partial->origin, data.size()), partial->count);
        std::replace(data.begin(), data.end(), '\0', '\x80');
        text() += fmt::format("{{{}}}\r\n", data.size());
        text() += data;
    }

    bool is_binary_leaf(const std::vector<uint32_t>& path) {
        const mime::Part* part = path.empty() ? nullptr : mime::find_part(root(), path);
        return part && part->kind == mime::PartKind::leaf &&
               classify_transfer_encoding(part->encoding) == TransferEncoding::binary;
    }

    store::Store& store_;
    const FetchMessage& m_;
    const store::MessageRow& row_;
    const store::MessageInfo& info_;
    bool same_bytes_ = true;
    std::optional<mime::Structure> structure_;
    std::vector<FetchPiece> pieces_;
};

}  // namespace

store::RowParts row_parts(const std::vector<FetchItem>& items) {
    using K = FetchItem::Kind;
    store::RowParts parts;
    for (const auto& item : items) {
        switch (item.kind) {
            case K::envelope:
            case K::bodystructure: parts.summary = true; break;
            case K::body: parts.structure = true; break;
            case K::rfc822: parts.content = true; break;
            case K::rfc822_header:
            case K::rfc822_text:
            case K::body_section:
            case K::binary:
            case K::binary_size:
            case K::preview:
                parts.structure = true;
                parts.content = true;
                break;
            default: break;
        }
    }
    return parts;
}

std::vector<FetchPiece> render_fetch(store::Store& store, const FetchMessage& message, const store::MessageRow& row,
                                     const std::vector<FetchItem>& items) {
    return Renderer(store, message, row).run(items);
}

std::string format_internaldate(int64_t unix_seconds) {
    static const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    time_t t = static_cast<time_t>(unix_seconds);
    struct tm tm {};
    gmtime_r(&t, &tm);
    return fmt::format("{:02}-{}-{:04} {:02}:{:02}:{:02} +0000", tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900,
                       tm.tm_hour, tm.tm_min, tm.tm_sec);
}

std::string filter_header(std::string_view header, const std::vector<std::string>& fields, bool exclude) {
    std::string out;
    bool keep = false;
    size_t pos = 0;
    while (pos < header.size()) {
        size_t eol = header.find('\n', pos);
        size_t next = eol == std::string_view::npos ? header.size() : eol + 1;
        std::string_view line = header.substr(pos, next - pos);
        pos = next;
        std::string_view bare = line;
        while (!bare.empty() && (bare.back() == '\n' || bare.back() == '\r')) bare.remove_suffix(1);
        if (bare.empty()) break;  // the blank line ending the header
        if (line.front() != ' ' && line.front() != '\t') {
            size_t colon = bare.find(':');
            std::string_view name = trim(bare.substr(0, colon == std::string_view::npos ? 0 : colon));
            bool listed = false;
            for (const auto& f : fields)
                if (!name.empty() && iequals(f, name)) listed = true;
            keep = colon != std::string_view::npos && listed != exclude;
        }
        if (keep) out += line;
    }
    if (!out.empty() && out.back() != '\n') out += "\r\n";
    out += "\r\n";
    return out;
}

}  // namespace pochta::imap
