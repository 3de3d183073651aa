// IMAP BODY and BODYSTRUCTURE (RFC 3501 7.4.2 / RFC 9051 7.5.2) rendered
// from a parsed structure, without touching the message bytes.
#pragma once

#include <string>

#include "common/mime/structure.hpp"

namespace pochta::imap {

// `extensible` true gives BODYSTRUCTURE (with extension data: MD5,
// disposition, language, location for single parts; parameters,
// disposition, language, location for multiparts); false gives BODY.
std::string render_bodystructure(const mime::Part& part, bool extensible);

}  // namespace pochta::imap
