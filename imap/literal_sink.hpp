// Where the bytes of a large literal go instead of the parser's memory: the
// session gives the parser a factory, asked once per announced literal; a
// literal it takes a sink for is streamed into that sink (an APPEND over
// 128 KiB goes to a spool file, README.md "Spooling"), and its token keeps
// the sink, the size and whether a NUL came by, but no text. The parser
// knows nothing of what a sink does with the bytes.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>

namespace pochta::imap {

struct LiteralAnnouncement {
    std::string_view command;  // upper-case name of the command being read ("UID" for UID commands)
    uint64_t size = 0;
    bool binary = false;       // literal8 (~{n})
    bool sync = true;          // {n}: sent after our "+"; {n+}: on its way already
};

class LiteralSink {
public:
    virtual ~LiteralSink() = default;
    // The literal's bytes in order, in pieces of any size.
    virtual void write(std::string_view bytes) = 0;
};

// A sink for the literal, or nullptr to keep it in memory as usual.
using LiteralSinkFactory = std::function<std::shared_ptr<LiteralSink>(const LiteralAnnouncement&)>;

}  // namespace pochta::imap
