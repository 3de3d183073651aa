// Small helpers for writing IMAP responses: strings in the form the client
// can read back (atom, quoted or literal), flag lists, and whole lines.
// Everything here is pure string building; the session owns the socket.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pochta::imap {

// Values up to this size go out quoted when they can; longer ones as literals,
// which clients read without scanning for escapes.
inline constexpr size_t kMaxQuoted = 1000;

// True when `s` can be a quoted string: no CR, LF or NUL, at most kMaxQuoted
// octets, and 7-bit unless `utf8` (UTF8=ACCEPT enabled) and valid UTF-8.
bool can_quote(std::string_view s, bool utf8 = false);
// "..." with '\' and '"' escaped; the caller checked can_quote.
std::string quoted(std::string_view s);
// A quoted string when can_quote, else a literal "{n}\r\n" + bytes. A
// literal is also how CR/LF reach the client; NUL does not belong in a
// non-binary literal, so callers keep it out of such values.
std::string quote_or_literal(std::string_view s, bool utf8 = false);
// nstring: NIL for an absent value, else quote_or_literal.
std::string nstring(std::optional<std::string_view> s, bool utf8 = false);
// astring (mailbox names, ...): a bare atom when safe, otherwise as above.
// "NIL" is quoted so an nstring reader cannot take it for NIL.
std::string astring(std::string_view s, bool utf8 = false);

// A flag or keyword as it may appear in a flag list: "\Seen" style system
// flags and keyword atoms. "\*" (PERMANENTFLAGS) is accepted too.
bool valid_flag(std::string_view flag);
// "(\Seen $Forwarded)"; invalid entries are left out rather than break the line.
std::string flag_list(const std::vector<std::string>& flags);

// Response text for the end of a line: controls become spaces, 8-bit
// octets '?', so an echoed value can never inject a line.
std::string response_text(std::string_view text);

enum class Status { ok, no, bad, preauth, bye };
std::string_view status_name(Status status);

// Builds one response line: prefix ("*", "+" or a tag), items separated by
// single spaces, CRLF at the end.
class ResponseLine {
public:
    explicit ResponseLine(std::string_view prefix, bool utf8 = false);
    static ResponseLine untagged(bool utf8 = false) { return ResponseLine("*", utf8); }

    ResponseLine& atom(std::string_view atom);  // written as given (keywords, numbers, lists already built)
    ResponseLine& number(uint64_t n);
    ResponseLine& string(std::string_view s);   // quote_or_literal
    ResponseLine& nstring(std::optional<std::string_view> s);
    ResponseLine& astring(std::string_view s);
    ResponseLine& flags(const std::vector<std::string>& flags);
    ResponseLine& text(std::string_view text);  // response_text
    std::string finish() const;  // the line with CRLF

private:
    void space();
    std::string line_;
    bool utf8_;
};

// "tag OK [CODE] text\r\n" / "* BAD text\r\n"; code without brackets, may be empty.
std::string status_line(std::string_view tag, Status status, std::string_view code, std::string_view text);
// "+ text\r\n"
std::string continuation_line(std::string_view text);

}  // namespace pochta::imap
