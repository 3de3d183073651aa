// The paths the HTTP listeners serve (README.md, "Autoconfig, MTA-STS and
// metrics"). serve.cpp builds two routers: one for the http and https
// listeners, one for the metrics listener.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/mail_settings.hpp"
#include "http/router.hpp"

namespace pochta::http {

// ACME HTTP-01 (RFC 8555 section 8.3): the key authorization for a token
// the ACME client is answering a challenge with, or nullopt.
using AcmeChallenge = std::function<std::optional<std::string>(std::string_view token)>;
// Renders the Prometheus text, possibly after asking the store; calls
// `done` on the loop.
using MetricsSource = std::function<void(std::function<void(std::string text)> done)>;
// Whether the server can serve: `done(true)` once the store answered.
using HealthProbe = std::function<void(std::function<void(bool healthy)> done)>;

// Thunderbird autoconfig (both paths), Outlook autodiscover (POX and
// JSON) and the Apple profile.
void add_client_setup_routes(Router& router, std::shared_ptr<const MailSettings> settings);

struct ServiceRoutes {
    std::string mta_sts_policy;            // served on https only
    AcmeChallenge acme_challenge;          // null: no ACME client
    MetricsSource metrics;
    HealthProbe health;
    std::vector<std::string> metrics_networks;  // who may read /metrics on http and https
};

// /healthz, /metrics, the MTA-STS policy and the ACME challenges on the
// public router; /healthz and /metrics on the metrics router.
void add_service_routes(Router& public_router, Router& metrics_router, const ServiceRoutes& routes);

}  // namespace pochta::http
