// The Apple configuration profile: Apple's "Configuration Profile
// Reference", payload type com.apple.mail.managed, as an unsigned plist.
#include <fmt/format.h>
#include <openssl/sha.h>


#include "http/mail_settings.hpp"

namespace pochta::http {
namespace {

// A name-based UUID (RFC 9562 section 5.5 layout, SHA-256 truncated): the
// same address gets the same profile identity every time.
std::string derived_uuid(std::string_view address, std::string_view part) {
    std::string input = fmt::format("pochta mobileconfig {} {}", part, address);
    unsigned char hash[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(input.data()), input.size(), hash);
    hash[6] = static_cast<unsigned char>((hash[6] & 0x0f) | 0x50);
    hash[8] = static_cast<unsigned char>((hash[8] & 0x3f) | 0x80);
    std::string hex;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) hex += '-';
        hex += fmt::format("{:02X}", hash[i]);
    }
    return hex;
}

// "mx.example.org" -> "org.example.mx": profile identifiers are reverse-DNS.
std::string reverse_dns(std::string_view host) {
    std::string out;
    size_t end = host.size();
    while (end > 0) {
        size_t dot = host.rfind('.', end - 1);
        size_t start = dot == std::string_view::npos ? 0 : dot + 1;
        if (!out.empty()) out += '.';
        out += host.substr(start, end - start);
        end = dot == std::string_view::npos ? 0 : dot;
    }
    return out;
}

std::string server_keys(const char* prefix, const MailSettings& settings, const MailEndpoint& e, const std::string& user) {
    return fmt::format(
        "      <key>{0}MailServerAuthentication</key><string>EmailAuthPassword</string>\n"
        "      <key>{0}MailServerHostName</key><string>{1}</string>\n"
        "      <key>{0}MailServerPortNumber</key><integer>{2}</integer>\n"
        "      <key>{0}MailServerUseSSL</key><{3}/>\n"
        "      <key>{0}MailServerUsername</key><string>{4}</string>\n",
        prefix, xml_escape(settings.hostname), e.port, e.implicit_tls ? "true" : "false", user);
}

}  // namespace

std::string mobileconfig(const MailSettings& settings, std::string_view address) {
    // Apple Mail speaks IMAP or POP3 and sends with SMTP: the preferred ones.
    const MailEndpoint* in = settings.incoming.empty() ? nullptr : &settings.incoming.front();
    const MailEndpoint* out = settings.outgoing.empty() ? nullptr : &settings.outgoing.front();
    std::string user = xml_escape(address);
    std::string identifier = xml_escape(reverse_dns(settings.hostname)) + ".mail." + user;
    std::string account = fmt::format(
        "    <dict>\n"
        "      <key>EmailAccountDescription</key><string>{0}</string>\n"
        "      <key>EmailAccountName</key><string>{0}</string>\n"
        "      <key>EmailAccountType</key><string>{1}</string>\n"
        "      <key>EmailAddress</key><string>{0}</string>\n",
        user, in && in->kind == MailEndpoint::Kind::pop3 ? "EmailTypePOP" : "EmailTypeIMAP");
    if (in) account += server_keys("Incoming", settings, *in, user);
    if (out) account += server_keys("Outgoing", settings, *out, user);
    account += fmt::format(
        "      <key>OutgoingPasswordSameAsIncomingPassword</key><true/>\n"
        "      <key>PayloadDisplayName</key><string>{0}</string>\n"
        "      <key>PayloadIdentifier</key><string>{1}.account</string>\n"
        "      <key>PayloadType</key><string>com.apple.mail.managed</string>\n"
        "      <key>PayloadUUID</key><string>{2}</string>\n"
        "      <key>PayloadVersion</key><integer>1</integer>\n"
        "    </dict>\n",
        user, identifier, derived_uuid(address, "account"));
    return fmt::format(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n"
        "<plist version=\"1.0\">\n"
        "<dict>\n"
        "  <key>PayloadContent</key>\n"
        "  <array>\n"
        "{0}"
        "  </array>\n"
        "  <key>PayloadDisplayName</key><string>Mail: {1}</string>\n"
        "  <key>PayloadIdentifier</key><string>{2}</string>\n"
        "  <key>PayloadRemovalDisallowed</key><false/>\n"
        "  <key>PayloadType</key><string>Configuration</string>\n"
        "  <key>PayloadUUID</key><string>{3}</string>\n"
        "  <key>PayloadVersion</key><integer>1</integer>\n"
        "</dict>\n"
        "</plist>\n",
        account, user, identifier, derived_uuid(address, "profile"));
}

}  // namespace pochta::http
