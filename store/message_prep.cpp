#include "store/message_prep.hpp"

#include <algorithm>

#include "common/mime/structure.hpp"
#include "common/util/log.hpp"
#include "store/blob_files.hpp"
#include "store/spool.hpp"

namespace pochta::store {

void CrlfCounter::feed(std::string_view chunk) {
    if (chunk.empty()) return;
    total_ += chunk.size();
    // An LF at the start of this chunk pairs with a CR ending the previous one.
    size_t pos = 0;
    while ((pos = chunk.find('\n', pos)) != std::string_view::npos) {
        const bool after_cr = pos > 0 ? chunk[pos - 1] == '\r' : last_was_cr_;
        if (!after_cr) ++total_;
        ++pos;
    }
    last_was_cr_ = chunk.back() == '\r';
}

uint64_t crlf_size_of(std::string_view data) {
    CrlfCounter counter;
    counter.feed(data);
    return counter.total();
}

std::optional<std::string> parse_structure(std::string_view data) {
    try {
        return mime::serialize(mime::parse_message(data));
    } catch (const std::exception& e) {
        // Only resource exhaustion should get here; the structure is then
        // computed again when first asked for.
        log::warn("store: MIME structure not parsed: {}", e.what());
        return std::nullopt;
    }
}

std::optional<std::string> summarize_structure(const Summarizer& summarize, const std::string& structure) {
    if (!summarize) return std::nullopt;
    try {
        return summarize(structure);
    } catch (const std::exception& e) {
        log::warn("store: message summary not made: {}", e.what());
        return std::nullopt;
    }
}

std::optional<std::string> make_sort_keys(const SortKeyMaker& make, std::string_view data,
                                          const std::string& structure) {
    if (!make) return std::nullopt;
    try {
        return make(data, structure);
    } catch (const std::exception& e) {
        log::warn("store: sort keys not made: {}", e.what());
        return std::nullopt;
    }
}

namespace {

// What prepare_message and prepare_spooled derive alike from the bytes.
void derive_from_content(PreparedMessage& p, std::string_view data, const Summarizer& summarize,
                         const SortKeyMaker& sort_keys) {
    p.structure = parse_structure(data);
    if (p.structure) {
        p.summary = summarize_structure(summarize, *p.structure);
        p.sort_keys = make_sort_keys(sort_keys, data, *p.structure);
    }
    p.ready = true;
}

}  // namespace

PreparedMessage prepare_message(std::string_view data, const Summarizer& summarize, const SortKeyMaker& sort_keys) {
    PreparedMessage p;
    p.sha256 = sha256_hex(data);
    p.crlf_size = crlf_size_of(data);
    derive_from_content(p, data, summarize, sort_keys);
    return p;
}

PreparedMessage prepare_spooled(const Spool& spool, std::string_view data, const Summarizer& summarize,
                                const SortKeyMaker& sort_keys) {
    PreparedMessage p;
    p.sha256 = spool.sha256();
    p.crlf_size = spool.crlf_size();
    derive_from_content(p, data, summarize, sort_keys);
    return p;
}

PreparedMessage prepare_content(std::string_view data, const Spool* spool, const Summarizer& summarize,
                                const SortKeyMaker& sort_keys) {
    return spool ? prepare_spooled(*spool, data, summarize, sort_keys) : prepare_message(data, summarize, sort_keys);
}

}  // namespace pochta::store
