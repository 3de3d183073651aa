// How IMAP answers a store error: the response code (RFC 5530) follows from
// the error's kind alone (README.md, "Store errors").
#pragma once

#include <string>
#include <string_view>

#include "store/result.hpp"

namespace pochta::imap {

// The response code of the NO for a store error. `imap4rev2` picks RFC
// 9051's HASCHILDREN over the INUSE that IMAP4rev1 clients know.
inline std::string_view response_code(store::ErrorKind kind, bool imap4rev2 = false) {
    using K = store::ErrorKind;
    switch (kind) {
        case K::none: return "";
        case K::nonexistent: return "NONEXISTENT";
        case K::already_exists: return "ALREADYEXISTS";
        case K::invalid:
        case K::refused: return "CANNOT";
        case K::has_children: return imap4rev2 ? "HASCHILDREN" : "INUSE";
        case K::limit: return "LIMIT";
        case K::over_quota: return "OVERQUOTA";
        // RFC 5530 has no code for a full disk: OVERQUOTA is about the
        // user's quota (a client would tell the user to delete mail),
        // LIMIT about limits no retry overcomes, SERVERBUG about bugs.
        // UNAVAILABLE, "temporary failure because a subsystem is down",
        // says what it is: the storage takes no writes until space is
        // freed, and the client should keep the message and try again.
        case K::disk_full:
        case K::temporary:
        case K::unavailable: return "UNAVAILABLE";
        case K::internal: return "SERVERBUG";
    }
    return "SERVERBUG";
}

// The text of that NO: `what`, with the store's reason when it is about
// the client's request (a name, a limit) rather than the server's insides.
inline std::string refusal_text(std::string_view what, const store::Error& error) {
    using K = store::ErrorKind;
    const bool tells_client =
        error.kind == K::invalid || error.kind == K::refused || error.kind == K::limit || error.kind == K::over_quota;
    return tells_client ? std::string(what) + ": " + error.message : std::string(what);
}

}  // namespace pochta::imap
