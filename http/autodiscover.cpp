// Outlook's POX autodiscover (Microsoft's "Autodiscover XML schema": the
// outlook requestschema/2006 request and responseschema/2006a response).
#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "common/util/strings.hpp"
#include "http/mail_settings.hpp"

namespace pochta::http {
namespace {

constexpr const char* response_head =
    "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
    "<Autodiscover xmlns=\"http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006\">\n"
    "  <Response xmlns=\"http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a\">\n";
constexpr const char* response_tail = "  </Response>\n</Autodiscover>\n";

// Case-insensitive search: the element names are fixed, their case is not
// always what the schema says.
size_t ifind(std::string_view haystack, std::string_view needle, size_t from = 0) {
    auto it = std::search(haystack.begin() + static_cast<std::ptrdiff_t>(std::min(from, haystack.size())),
                          haystack.end(), needle.begin(), needle.end(),
                          [](char a, char b) {
                              return std::tolower(static_cast<unsigned char>(a)) ==
                                     std::tolower(static_cast<unsigned char>(b));
                          });
    return it == haystack.end() ? std::string_view::npos : static_cast<size_t>(it - haystack.begin());
}

std::string protocol_xml(const MailSettings& settings, const MailEndpoint& e, std::string_view address) {
    static constexpr const char* types[] = {"IMAP", "POP3", "SMTP"};
    // Encryption overrides SSL: "SSL" is implicit TLS, "TLS" is STARTTLS.
    return fmt::format(
        "      <Protocol>\n"
        "        <Type>{}</Type>\n"
        "        <Server>{}</Server>\n"
        "        <Port>{}</Port>\n"
        "        <DomainRequired>off</DomainRequired>\n"
        "        <LoginName>{}</LoginName>\n"
        "        <SPA>off</SPA>\n"
        "        <SSL>on</SSL>\n"
        "        <Encryption>{}</Encryption>\n"
        "        <AuthRequired>on</AuthRequired>\n"
        "      </Protocol>\n",
        types[static_cast<int>(e.kind)], xml_escape(settings.hostname), e.port, xml_escape(address),
        e.implicit_tls ? "SSL" : "TLS");
}

}  // namespace

std::optional<std::string> autodiscover_request_address(std::string_view body) {
    constexpr std::string_view open = "<EMailAddress>", close = "</EMailAddress>";
    size_t start = ifind(body, open);
    if (start == std::string_view::npos) return std::nullopt;
    start += open.size();
    size_t end = ifind(body, close, start);
    if (end == std::string_view::npos) return std::nullopt;
    return std::string(trim(body.substr(start, end - start)));
}

std::string autodiscover_xml(const MailSettings& settings, std::string_view address) {
    std::string out = response_head;
    out += fmt::format("    <User>\n      <DisplayName>{}</DisplayName>\n    </User>\n", xml_escape(address));
    out += "    <Account>\n      <AccountType>email</AccountType>\n      <Action>settings</Action>\n";
    for (const auto& e : settings.incoming) out += protocol_xml(settings, e, address);
    for (const auto& e : settings.outgoing) out += protocol_xml(settings, e, address);
    out += "    </Account>\n";
    out += response_tail;
    return out;
}

std::string autodiscover_error_xml() {
    std::string out = response_head;
    out +=
        "    <Error Id=\"0\">\n"
        "      <ErrorCode>600</ErrorCode>\n"
        "      <Message>Invalid Request</Message>\n"
        "      <DebugData />\n"
        "    </Error>\n";
    out += response_tail;
    return out;
}

}  // namespace pochta::http
