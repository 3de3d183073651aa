// The words the classifier judges a message by (README.md, "Spam"): the
// decoded text of its text parts (HTML without its tags) and selected
// header fields, each with a prefix saying where it came from. Bounded:
// whatever the message's size, at most `max_scan` bytes of it are looked
// at, at most `max_text` bytes of decoded text, and at most `max_tokens`
// distinct tokens are kept, so a 50 MB message costs a few MB and a few
// tens of milliseconds.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace pochta::spam {

struct TokenizerLimits {
    size_t max_scan = 8 * 1024 * 1024;       // bytes of the message whose structure is parsed
    size_t max_part_text = 512 * 1024;       // decoded text taken from one part
    size_t max_text = 2 * 1024 * 1024;       // decoded text over all parts
    size_t max_tokens = 100000;              // distinct tokens kept
};

struct Tokens {
    std::vector<uint64_t> keys;       // token_key() of each distinct token, sorted
    bool gtube = false;               // the GTUBE test string is in the message (always spam)
    std::string author;               // the first From address, lowercase; "" when none
};

Tokens tokenize_message(std::string_view message, const TokenizerLimits& limits = {});

// The 64-bit key a token is counted under in the store (FNV-1a): fixed
// size rows, and no user's words kept in clear.
uint64_t token_key(std::string_view token);

// The Generic Test for Unsolicited Bulk Email.
inline constexpr std::string_view gtube = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X";

}  // namespace pochta::spam
