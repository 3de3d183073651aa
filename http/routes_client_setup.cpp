// Client setup documents (README.md, "Autoconfig, MTA-STS and metrics").
#include <fmt/format.h>

#include "common/util/strings.hpp"
#include "http/routes.hpp"

namespace pochta::http {
namespace {

constexpr const char* xml_type = "application/xml; charset=utf-8";

Response xml(std::string body) {
    Response r = Response::text(200, std::move(body));
    r.content_type = xml_type;
    return r;
}

// "autoconfig.example.org" -> "example.org" when that is a local domain.
std::optional<std::string> domain_from_host(const MailSettings& settings, const std::string& host) {
    for (std::string_view prefix : {"autoconfig.", "autodiscover.", "mta-sts."}) {
        if (host.starts_with(prefix) && settings.is_local_domain(host.substr(prefix.size())))
            return host.substr(prefix.size());
    }
    if (settings.is_local_domain(host)) return host;
    return std::nullopt;
}

// Thunderbird sends ?emailaddress=; Thunderbird for Android, Geary and
// others ask without it: the domain then comes from the Host, else the
// first local domain (the settings are the same for every domain).
void autoconfig(const MailSettings& settings, const Request& request, const Respond& respond) {
    std::string domain;
    if (auto address = query_param(request.query, "emailaddress")) {
        auto local = settings.local_domain_of(*address);
        if (!local) return respond(Response::text(404, "not a local address\n"));
        domain = *local;
    } else {
        domain = domain_from_host(settings, request.host()).value_or(settings.domains.front());
    }
    respond(xml(autoconfig_xml(settings, domain)));
}

// Outlook must never get a 404 here (it then tries worse guesses): a
// request without a usable address gets the schema's error response.
void autodiscover(const MailSettings& settings, const Request& request, const Respond& respond) {
    auto address = autodiscover_request_address(request.body);
    if (!address || !settings.local_domain_of(*address)) return respond(xml(autodiscover_error_xml()));
    respond(xml(autodiscover_xml(settings, *address)));
}

// Outlook's JSON autodiscover (/autodiscover/autodiscover.json?Email=A&Protocol=P
// or .../autodiscover.json/v1.0/A?Protocol=P): only AutodiscoverV1 is
// offered, which points at the POX endpoint above.
void autodiscover_json(const MailSettings& settings, const Request& request, const Respond& respond) {
    std::string protocol = query_param(request.query, "protocol").value_or("");
    Response r;
    r.content_type = "application/json; charset=utf-8";
    if (!iequals(protocol, "AutodiscoverV1")) {
        r.status = 400;
        r.body = R"({"ErrorCode":"ProtocolNotSupported","ErrorMessage":"only AutodiscoverV1 is offered"})";
    } else {
        r.body = fmt::format(R"({{"Protocol":"AutodiscoverV1","Url":"https://{}/autodiscover/autodiscover.xml"}})",
                             settings.hostname);
    }
    respond(std::move(r));
}

void apple_profile(const MailSettings& settings, const Request& request, const Respond& respond) {
    auto address = query_param(request.query, "emailaddress");
    if (!address) return respond(Response::text(400, "emailaddress is missing\n"));
    if (!settings.local_domain_of(*address)) return respond(Response::text(404, "not a local address\n"));
    Response r = Response::text(200, mobileconfig(settings, *address));
    r.content_type = "application/x-apple-aspen-config";
    r.headers.push_back({"Content-Disposition", "attachment; filename=\"mail.mobileconfig\""});
    respond(std::move(r));
}

}  // namespace

void add_client_setup_routes(Router& router, std::shared_ptr<const MailSettings> settings) {
    auto bind = [settings](void (*fn)(const MailSettings&, const Request&, const Respond&)) {
        return [settings, fn](const Request& request, const Client&, Respond respond) { fn(*settings, request, respond); };
    };
    router.add({"GET"}, "/mail/config-v1.1.xml", bind(autoconfig));
    router.add({"GET"}, "/.well-known/autoconfig/mail/config-v1.1.xml", bind(autoconfig));
    router.add({"GET", "POST"}, "/autodiscover/autodiscover.xml", bind(autodiscover));
    router.add({"GET"}, "/autodiscover/autodiscover.json", bind(autodiscover_json));
    router.add({"GET"}, "/autodiscover/autodiscover.json/", bind(autodiscover_json), true);
    router.add({"GET"}, "/mail.mobileconfig", bind(apple_profile));
}

}  // namespace pochta::http
