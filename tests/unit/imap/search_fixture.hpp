// A synthetic mailbox for the SEARCH, SORT and THREAD tests: raw messages
// parsed with the real MIME parser, seen through SearchMessage views whose
// callbacks count how often they are called.
#pragma once

#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

#include "common/mime/message_date.hpp"
#include "common/mime/structure.hpp"
#include "imap/parser.hpp"
#include "imap/search_eval.hpp"
#include "imap/search_query.hpp"

namespace pochta::imap::test {

// Messages are written with "\n" for readability; stored with CRLF.
inline std::string crlf(std::string_view text) {
    std::string out;
    for (char c : text) {
        if (c == '\n') out += '\r';
        out += c;
    }
    return out;
}

inline int64_t at(int year, int month, int day, int hour = 12, int minute = 0) {
    return mime::days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60;
}

struct Setup {
    uint32_t uid = 0;  // 0: seq + 100
    uint32_t flags = 0;
    std::vector<std::string> keywords;
    int64_t internal_date = 0;
    uint64_t size = 0;  // 0: the raw size
    bool recent = false;
    uint64_t modseq = 1;
};

class Mailbox {
public:
    struct Calls {
        int structure = 0;
        int raw = 0;
        int header = 0;
    };

    // Adds a message with the next sequence number.
    void add(std::string_view text, Setup setup = {}) {
        auto stored = std::make_unique<Stored>();
        stored->raw = crlf(text);
        stored->structure = mime::parse_message(stored->raw);
        stored->keywords = setup.keywords;
        Stored* s = stored.get();
        SearchMessage m;
        m.seq = static_cast<uint32_t>(messages.size() + 1);
        m.uid = setup.uid ? setup.uid : m.seq + 100;
        m.modseq = setup.modseq;
        m.flags = setup.flags;
        m.keywords = &s->keywords;
        m.internal_date = setup.internal_date;
        m.size = setup.size ? setup.size : s->raw.size();
        m.recent = setup.recent;
        m.structure = [this, s]() -> const mime::Structure& {
            ++calls.structure;
            return s->structure;
        };
        m.raw = [this, s]() -> std::string_view {
            ++calls.raw;
            return s->raw;
        };
        stored_.push_back(std::move(stored));
        messages.push_back(std::move(m));
    }

    // Also serve the header block from its own callback (as an index cache would).
    void provide_headers() {
        for (size_t i = 0; i < messages.size(); ++i) {
            Stored* s = stored_[i].get();
            messages[i].header = [this, s]() -> std::string_view {
                ++calls.header;
                std::string_view raw(s->raw);
                return raw.substr(0, s->structure.root.body_start);
            };
        }
    }

    SearchContext context() const {
        SearchContext c;
        c.message_count = static_cast<uint32_t>(messages.size());
        for (const SearchMessage& m : messages) c.max_uid = std::max(c.max_uid, m.uid);
        c.utc_offset = 0;
        return c;
    }

    std::vector<SearchMessage> messages;
    Calls calls;

private:
    struct Stored {
        std::string raw;
        mime::Structure structure;
        std::vector<std::string> keywords;
    };
    std::vector<std::unique_ptr<Stored>> stored_;
};

// The arguments of "t <command> <args>" through the real command parser.
inline std::vector<Token> command_args(std::string_view command, std::string_view args) {
    CommandParser parser;
    std::string line = "t " + std::string(command) + " " + std::string(args) + "\r\n";
    std::string_view input(line);
    INFO(line);
    for (;;) {
        size_t used = 0;
        ParseResult r = parser.feed(input, used);
        input.remove_prefix(used);
        REQUIRE(r.status != ParseResult::Status::error);
        if (r.status == ParseResult::Status::command) return std::move(r.command.args);
        REQUIRE(!input.empty());
    }
}

inline SearchQuery query_of(std::string_view args) {
    std::vector<Token> tokens = command_args("SEARCH", args);
    SearchError error;
    std::optional<SearchQuery> query = parse_search(tokens, error);
    INFO(args << ": " << error.reason);
    REQUIRE(query);
    return *query;
}

}  // namespace pochta::imap::test
