// Structured MIME header values: "value; name=val; ..." as in Content-Type
// and Content-Disposition (RFC 2045 section 5.1, RFC 2183), with RFC 2231
// continuations and charset'language'%XX values, and the comma-separated
// token list of Content-Language (RFC 3282).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/mime/structure.hpp"

namespace pochta::mime {

struct StructuredValue {
    std::string value;          // the leading token(s) with comments and spaces removed, e.g. "text/plain"
    std::vector<Param> params;  // names lowercased, first of a name wins
};

// Tolerant: an unterminated quoted string or comment runs to the end, a
// parameter without '=' or without a name is dropped. At most max_params
// parameters are kept.
StructuredValue parse_structured(std::string_view text, uint32_t max_params);

// "en, de (German)" -> {"en", "de"}.
std::vector<std::string> parse_language_list(std::string_view text);

// Removes RFC 5322 comments and surrounding whitespace from a single-valued
// field (Content-Transfer-Encoding, Content-ID): "base64 (bin)" -> "base64".
std::string strip_comments(std::string_view text);

}  // namespace pochta::mime
