// SASL PLAIN (RFC 4616) and LOGIN decoding shared by SMTP, IMAP and POP3.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace pochta::auth {

struct Credentials {
    std::string authzid;   // may be empty
    std::string username;
    std::string password;
};

// Decodes the base64 PLAIN message "authzid NUL authcid NUL passwd".
// nullopt on bad base64 or a malformed message.
std::optional<Credentials> decode_sasl_plain(std::string_view base64);

}  // namespace pochta::auth
