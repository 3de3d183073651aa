#include "http/mail_settings.hpp"

#include <algorithm>

#include "common/auth/address_syntax.hpp"
#include "common/util/strings.hpp"

namespace pochta::http {

bool MailSettings::is_local_domain(std::string_view domain) const {
    return std::any_of(domains.begin(), domains.end(), [&](const std::string& d) { return iequals(d, domain); });
}

std::optional<std::string> MailSettings::local_domain_of(std::string_view address) const {
    auto parts = auth::split_address(address);
    if (!parts || !is_local_domain(parts->domain)) return std::nullopt;
    return to_lower(parts->domain);
}

std::string xml_escape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&apos;"; break;
            default: out += c;
        }
    }
    return out;
}

}  // namespace pochta::http
