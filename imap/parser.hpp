// The IMAP command parser (RFC 3501 / RFC 9051 command syntax, RFC 7888
// LITERAL+, RFC 3516 literal8): incremental over the byte stream, bounded in
// every dimension, producing a tag, an upper-case command name and the
// arguments as a token tree. What an argument means is for the command
// handlers (and imap/search_query, imap/fetch_items) to decide.
//
// Session loop:
//
//     while (!input.empty()) {
//         size_t used = 0;
//         ParseResult r = parser.feed(input, used);
//         input.remove_prefix(used);
//         if (r.status == ParseResult::Status::need_more) {
//             if (r.continuation) send("+ Ready for literal data\r\n");
//             if (used == 0) break;   // everything buffered, wait for the socket
//             continue;
//         }
//         ...command or error...
//     }
//
// feed() returns as soon as it has something to say (a command, an error or a
// continuation request), so bytes after a command stay with the caller: it
// can read IDLE's "DONE" or SASL responses itself, or pause while a command
// runs. Literal payloads are buffered as their bytes arrive; nothing is
// reserved for an announced size. A literal the session's sink factory takes
// (set_literal_sink, imap/literal_sink.hpp) is streamed to its sink instead.
//
// Errors. Each error is reported once, with the tag when one was read, so the
// session can reply "tag BAD reason" (or "* BAD reason"). The parser then
// discards the rest of the failed command by itself:
//  - an error found at the end of a line: if that line announced a
//    non-synchronizing literal {n+} the client is already sending it, so the
//    n bytes and the lines that follow (with their own {n+} literals) are
//    skipped until the command ends; a synchronizing {n} needs our "+" which
//    never comes, so the command ends there. A skipped {n+} over
//    max_literal is reported as a second error, literal_too_big with close;
//  - a line longer than max_line: its remaining bytes are skipped up to LF
//    (and any literal it announced, as above);
//  - a literal over max_literal or over max_literal_total (e.g.
//    "{4000000000}"): refused before a byte of it is stored. For a
//    synchronizing literal the client has sent nothing yet, so parsing
//    simply goes on with the next line (reply "tag NO [TOOBIG] ..." or BAD).
//    For a non-synchronizing one the bytes are already on their way and
//    skipping gigabytes is a denial of service, so the error has
//    close == true: the session replies and closes, and the parser discards
//    everything fed to it afterwards rather than read literal bytes as
//    commands.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "imap/literal_sink.hpp"

namespace pochta::imap {

struct Token {
    enum class Type : uint8_t {
        atom,     // includes flags (\Seen), sequence sets (1:*), fetch items
                  // with their section and partial (BODY.PEEK[HEADER.FIELDS (A B)]<0.10>)
        quoted,   // "..." with \\ and \" unescaped
        literal,  // {n}, {n+}, or ~{n} (binary set)
        nil,      // the atom NIL in any case; text keeps it as sent
        list,     // ( ... )
    };
    Type type = Type::atom;
    bool binary = false;          // literal8: may hold NUL
    std::string text;             // atom/nil as sent; string contents; empty for a list
    std::vector<Token> children;  // list elements
    // Literals only: the announced size, whether a NUL byte was among the
    // bytes read, and the sink they went to instead of `text` (empty then).
    uint64_t size = 0;
    bool nul = false;
    std::shared_ptr<LiteralSink> sink;

    bool is_atom() const { return type == Type::atom; }
    bool is_list() const { return type == Type::list; }
    bool is_nil() const { return type == Type::nil; }
    bool is_string() const { return type == Type::quoted || type == Type::literal; }
    // RFC 3501 astring: an atom (NIL included, as the text "NIL"), a quoted
    // string or a literal; not a literal8 or a list.
    std::optional<std::string_view> astring() const {
        if (type == Type::list || binary || sink) return std::nullopt;
        return std::string_view(text);
    }
};

struct Command {
    std::string tag;
    std::string name;          // upper case; for "UID FETCH ..." name is "FETCH" and uid is set
    bool uid = false;
    std::vector<Token> args;
};

struct ParserLimits {
    size_t max_line = 64 * 1024;                  // command text without literals, over all its lines
    uint64_t max_literal = 64ull << 20;           // one literal
    uint64_t max_literal_total = 128ull << 20;    // all literals of one command (MULTIAPPEND)
    size_t max_depth = 32;                        // nested parentheses
    size_t max_tokens = 10000;                    // tokens per command, lists counted
};

enum class ParseErrorKind {
    syntax,           // malformed command: tagged BAD
    bad_tag,          // no usable tag ("*", "+", empty, bad characters): "* BAD"
    line_too_long,
    literal_too_big,  // reply NO [TOOBIG] or BAD [TOOBIG]; see close
    too_deep,
    too_many_tokens,
};

struct ParseError {
    ParseErrorKind kind = ParseErrorKind::syntax;
    std::string tag;     // empty when no valid tag was read: reply "* BAD"
    std::string reason;  // short printable ASCII text for the reply
    bool close = false;  // the stream cannot be resynchronised: reply, then close
};

struct ParseResult {
    enum class Status { need_more, command, error };
    Status status = Status::need_more;
    // need_more only: a synchronizing literal of literal_size octets was just
    // announced; the client sends it after our "+" line. Set once per literal.
    bool continuation = false;
    uint64_t literal_size = 0;
    Command command;   // status == command
    ParseError error;  // status == error
};

class CommandParser {
public:
    explicit CommandParser(ParserLimits limits = {});

    // Consumes bytes of `input` and sets `consumed` to how many; see above.
    ParseResult feed(std::string_view input, size_t& consumed);
    // Drops any partial command: after STARTTLS (buffered plaintext must
    // not survive into the TLS session), or to refuse a synchronizing
    // literal instead of sending "+" (e.g. APPEND over a size limit: reply
    // "tag NO [TOOBIG]", reset(), and the client sends nothing more for it).
    void reset();
    // The tag and upper-case name of the command being read ("UID" for UID
    // commands), for deciding on a continuation; empty before they are read.
    std::string_view pending_tag() const { return command_.tag; }
    std::string_view pending_name() const { return command_.name; }
    // True when no partial command is buffered.
    bool idle() const;
    // Asked for each literal as it is announced (after the size limits
    // passed); kept across reset().
    void set_literal_sink(LiteralSinkFactory factory) { sink_factory_ = std::move(factory); }

private:
    enum class State { line, literal, skip_line, skip_literal, closing, closed };
    struct LiteralHeader {
        bool present = false;
        bool sync = true;
        bool binary = false;
        bool overflow = false;  // more digits than any limit allows
        uint64_t size = 0;
    };

    bool step_line(std::string_view input, size_t& consumed, ParseResult& result);
    bool step_skip_line(std::string_view input, size_t& consumed, ParseResult& result);
    bool finish_line(ParseResult& result);
    void take_literal(std::string_view bytes);
    bool complete_command(ParseResult& result);
    bool fail(ParseResult& result, ParseErrorKind kind, std::string reason, bool at_eol, std::string_view tail);
    enum class Skip { done, literal, too_big };
    Skip skip_announced(std::string_view line);
    static LiteralHeader trailing_literal(std::string_view line);
    void start_command();

    // Tokenizer (parser.cpp); false with `error_` set on failure.
    bool tokenize(std::string_view line, LiteralHeader& literal);
    bool read_tag_and_name(std::string_view line, size_t& i);
    bool read_quoted(std::string_view line, size_t& i);
    bool read_literal_header(std::string_view line, size_t& i, LiteralHeader& literal);
    bool read_atom(std::string_view line, size_t& i);
    bool add_token(Token token);
    void set_error(ParseErrorKind kind, std::string reason);

    ParserLimits limits_;
    LiteralSinkFactory sink_factory_;
    State state_ = State::line;
    std::string line_;            // the current line, without its LF
    std::string skip_tail_;       // last bytes of a line being skipped
    size_t line_total_ = 0;       // bytes of the command's finished lines
    uint64_t literal_left_ = 0;
    uint64_t literal_total_ = 0;
    bool first_line_ = true;
    bool after_token_ = false;    // the next byte must separate tokens
    size_t token_count_ = 0;
    std::vector<std::vector<Token>> stack_;  // [0] = arguments, then open lists
    Command command_;
    ParseErrorKind error_kind_ = ParseErrorKind::syntax;
    std::string error_reason_;
};

// Tag characters: ASTRING-CHAR except '+' (so not '*', '%', '(', '"', ...).
bool valid_tag(std::string_view tag);

}  // namespace pochta::imap
