// What a mail client needs to know to set itself up (README.md,
// "Autoconfig, MTA-STS and metrics"): the host name, and the listeners with
// the ports actually bound. Autoconfig, autodiscover and the Apple profile
// are three spellings of these settings.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pochta::http {

struct MailEndpoint {
    enum class Kind { imap, pop3, smtp };
    Kind kind = Kind::imap;
    uint16_t port = 0;
    bool implicit_tls = false;  // false: STARTTLS
};

struct MailSettings {
    std::string hostname;
    std::vector<std::string> domains;    // local domains, lowercased
    // Preferred first: implicit TLS before STARTTLS (RFC 8314), IMAP before POP3.
    std::vector<MailEndpoint> incoming;
    std::vector<MailEndpoint> outgoing;

    // The domain of a local address, lowercased; nullopt for a malformed
    // address or another domain.
    std::optional<std::string> local_domain_of(std::string_view address) const;
    bool is_local_domain(std::string_view domain) const;
};

// Escapes &, <, >, " and ' for XML text and attribute values.
std::string xml_escape(std::string_view text);

// Thunderbird's clientConfig 1.1 for `domain` (username %EMAILADDRESS%).
std::string autoconfig_xml(const MailSettings& settings, std::string_view domain);

// Outlook's POX autodiscover: the address in the request's <EMailAddress>.
std::optional<std::string> autodiscover_request_address(std::string_view body);
// The settings for a local address, in the responseschema/2006a form.
std::string autodiscover_xml(const MailSettings& settings, std::string_view address);
// The error response (code 600, "Invalid Request") for anything else.
std::string autodiscover_error_xml();

// An Apple configuration profile (com.apple.mail.managed payload) for an
// address; its UUIDs are derived from the address, so installing it again
// replaces the earlier profile instead of adding a second account.
std::string mobileconfig(const MailSettings& settings, std::string_view address);

}  // namespace pochta::http
