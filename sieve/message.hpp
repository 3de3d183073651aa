// The message a Sieve script looks at, parsed from its bytes with
// common/mime: header fields (raw, unfolded, and RFC 2047-decoded on
// demand), its size, and the body parts the body test reads (transfer
// encoding removed, text converted to UTF-8), decoded only when a script
// asks for them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pochta::sieve {

struct HeaderField {
    std::string name;   // as written
    std::string value;  // unfolded and trimmed, encoded words left as written
    std::string raw;    // the whole field as written, with its line ends (to rebuild an edited header)

    // The value with RFC 2047 encoded words decoded (cached).
    const std::string& decoded() const;
    // The mailboxes of the value read as an address list (header_addresses,
    // cached: a script's address tests often look at the same fields).
    const std::vector<std::string>& addresses() const;

private:
    mutable std::optional<std::string> decoded_;
    mutable std::optional<std::vector<std::string>> addresses_;
};

struct BodyPart {
    std::string type;     // lowercased, e.g. "text"
    std::string subtype;  // lowercased, e.g. "plain"
    std::string content;  // transfer encoding removed; text/* converted to UTF-8
};

class Message {
public:
    // `raw` (header and body, CRLF or LF line ends) must outlive the Message.
    explicit Message(std::string_view raw);

    std::string_view raw() const { return raw_; }
    uint64_t size() const { return raw_.size(); }
    const std::vector<HeaderField>& header() const { return header_; }
    // The body as written, after the blank line (the body test's :raw).
    std::string_view raw_body() const { return raw_.substr(body_start_); }
    // Every leaf part, in order (the first use decodes them).
    const std::vector<BodyPart>& body_parts() const;
    // The body test's :text (RFC 5173 5.1): each text/* part's text,
    // text/html with its markup left out (made once).
    const std::vector<std::string>& text_parts() const;

private:
    std::string_view raw_;
    size_t body_start_ = 0;
    std::vector<HeaderField> header_;
    mutable std::optional<std::vector<BodyPart>> parts_;
    mutable std::optional<std::vector<std::string>> texts_;
};

// Splits a header block into fields; lines that are no field are skipped.
std::vector<HeaderField> split_header(std::string_view header);

// The message with its header replaced by `header` (an edited one).
std::string rebuild_message(const Message& message, const std::vector<HeaderField>& header);

}  // namespace pochta::sieve
