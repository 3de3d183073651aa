// COMPRESS DEFLATE (RFC 4978): the tagged OK goes out uncompressed, then
// both directions are raw deflate, under TLS when it is on (the stream
// layer is common/net's; README.md, "IMAP": COMPRESS).
#include <stdexcept>

#include "common/util/log.hpp"
#include "common/util/strings.hpp"
#include "imap/session.hpp"

namespace pochta::imap {

void Session::cmd_compress(const Command& cmd) {
    if (cmd.args.size() != 1 || !cmd.args[0].is_atom()) return bad("COMPRESS needs one mechanism");
    if (!iequals(cmd.args[0].text, "DEFLATE")) return bad("Unknown compression mechanism");
    if (conn_->compression_active()) return no("DEFLATE active via COMPRESS", "COMPRESSIONACTIVE");
    ok("DEFLATE active");
    try {
        conn_->start_compression();
    } catch (const std::runtime_error& e) {
        log::error("imap user={} COMPRESS: {}", user_, e.what());
        conn_->abort();
    }
}

}  // namespace pochta::imap
