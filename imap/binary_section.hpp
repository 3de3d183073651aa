// FETCH BINARY[section], BINARY.PEEK and BINARY.SIZE (RFC 3516, part of
// RFC 9051): a body part with its Content-Transfer-Encoding undone. Pure
// apart from the `read` callback, so the FETCH renderer on the worker
// thread supplies the stored bytes and the tests supply strings.
//
// Choices where the RFCs leave room:
// - BINARY[] is the whole message, header included, undecoded (its header
//   is not content that a CTE applies to).
// - Only leaf parts are decoded. A multipart or message/rfc822 part may only
//   be 7bit, 8bit or binary (RFC 2045 6.4), so its body goes out as stored.
// - A part that does not exist is empty, as BODY[] has it.
// - Text that is not base64 goes out with CRLF line ends, as BODY[] does;
//   base64 decodes to exactly the encoded octets, and a binary part is its
//   stored octets.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

#include "common/mime/structure.hpp"
#include "imap/fetch_items.hpp"

namespace pochta::imap {

enum class TransferEncoding { identity, binary, base64, quoted_printable, unknown };

// By Content-Transfer-Encoding value (case-insensitive): 7bit, 8bit and an
// empty value are identity (text: CRLF line ends); binary is its own
// (octets as stored, a bare LF included: RFC 2045 2.9 has no lines);
// anything but base64 and quoted-printable besides is unknown.
TransferEncoding classify_transfer_encoding(std::string_view cte);

// Thrown while a FETCH is rendered when a requested part has an encoding
// this server cannot undo; the FETCH fails with NO [UNKNOWN-CTE]. The
// message (what()) is kUnknownCteError, which is how the session tells it
// apart from a store failure once it crossed the worker boundary.
inline constexpr const char* kUnknownCteError = "unknown content-transfer-encoding";
class UnknownCte : public std::runtime_error {
public:
    UnknownCte() : std::runtime_error(kUnknownCteError) {}
};

// Stored bytes [begin, end) of the message.
using ReadBytes = std::function<std::string(uint64_t begin, uint64_t end)>;

// The decoded content of BINARY[path]; "" for a part that does not exist.
// Throws UnknownCte.
std::string binary_content(const mime::Part& root, std::span<const uint32_t> path, const ReadBytes& read);

// `raw` (stored bytes, any line ends) decoded as `encoding` says.
// Throws UnknownCte for TransferEncoding::unknown.
std::string decode_content(std::string_view raw, TransferEncoding encoding);

// The response value of BINARY[...]<partial>: `partial` applied to the
// decoded data, then a literal8 "~{n}" when it holds a NUL (which a
// normal literal may not carry), else a plain "{n}" literal.
std::string binary_literal(std::string data, const std::optional<FetchPartial>& partial);

}  // namespace pochta::imap
