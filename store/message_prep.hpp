// What the store derives from a message's bytes before it is indexed: the
// content hash (blob identity), the size with bare LFs counted as CRLF, and
// the serialized MIME structure with its summary. All of it is pure computation, so it runs
// outside the index transaction: on the caller's thread for the blocking
// calls, otherwise on the writer thread before the batch begins.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "store/store.hpp"

namespace pochta::store {

// Counts octets as they go out on the wire, where every LF not preceded by
// CR becomes CRLF (POP3 LIST, IMAP RFC822.SIZE). Fed in pieces, so a file
// can be counted without reading it whole.
class CrlfCounter {
public:
    void feed(std::string_view chunk);
    uint64_t total() const { return total_; }

private:
    uint64_t total_ = 0;
    bool last_was_cr_ = false;
};

uint64_t crlf_size_of(std::string_view data);

struct PreparedMessage {
    bool ready = false;                    // false: the writer computes it
    std::string sha256;
    uint64_t crlf_size = 0;
    std::optional<std::string> structure;  // nullopt: parsed on first request instead
    std::optional<std::string> summary;    // nullopt: none (no summarizer, or no structure)
    std::optional<std::string> sort_keys;  // nullopt: none (no maker, or no structure)
};

PreparedMessage prepare_message(std::string_view data, const Summarizer& summarize,
                                const SortKeyMaker& sort_keys = {});
// The same for a finished spool, whose hash and size were counted as it
// was written: only the structure is left to parse (from `data`, its view).
PreparedMessage prepare_spooled(const class Spool& spool, std::string_view data, const Summarizer& summarize,
                                const SortKeyMaker& sort_keys = {});
// prepare_spooled when the content (`data`) is `spool`'s, else prepare_message.
PreparedMessage prepare_content(std::string_view data, const Spool* spool, const Summarizer& summarize,
                                const SortKeyMaker& sort_keys = {});

// The summary of a structure, nullopt without a summarizer.
std::optional<std::string> summarize_structure(const Summarizer& summarize, const std::string& structure);
// The sort keys of a message, nullopt without a maker.
std::optional<std::string> make_sort_keys(const SortKeyMaker& make, std::string_view data,
                                          const std::string& structure);

// common/mime's serialized structure of a message; nullopt if the parser
// failed unexpectedly (it is meant never to throw on bad input).
std::optional<std::string> parse_structure(std::string_view data);

}  // namespace pochta::store
