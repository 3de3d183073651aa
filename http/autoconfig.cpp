// Thunderbird's autoconfig file (Mozilla's "config-v1.1.xml" format, as
// documented on wiki.mozilla.org/Thunderbird:Autoconfiguration:ConfigFileFormat).
#include <fmt/format.h>

#include "http/mail_settings.hpp"

namespace pochta::http {
namespace {

std::string server_xml(const char* element, const MailSettings& settings, const MailEndpoint& e) {
    static constexpr const char* types[] = {"imap", "pop3", "smtp"};
    return fmt::format(
        "    <{0} type=\"{1}\">\n"
        "      <hostname>{2}</hostname>\n"
        "      <port>{3}</port>\n"
        "      <socketType>{4}</socketType>\n"
        "      <username>%EMAILADDRESS%</username>\n"
        "      <authentication>password-cleartext</authentication>\n"
        "    </{0}>\n",
        element, types[static_cast<int>(e.kind)], xml_escape(settings.hostname), e.port,
        e.implicit_tls ? "SSL" : "STARTTLS");
}

}  // namespace

std::string autoconfig_xml(const MailSettings& settings, std::string_view domain) {
    std::string d = xml_escape(domain);
    std::string out = fmt::format(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<clientConfig version=\"1.1\">\n"
        "  <emailProvider id=\"{0}\">\n"
        "    <domain>{0}</domain>\n"
        "    <displayName>{0}</displayName>\n"
        "    <displayShortName>{0}</displayShortName>\n",
        d);
    for (const auto& e : settings.incoming) out += server_xml("incomingServer", settings, e);
    for (const auto& e : settings.outgoing) out += server_xml("outgoingServer", settings, e);
    out += "  </emailProvider>\n</clientConfig>\n";
    return out;
}

}  // namespace pochta::http
