// The ACME parts the server runs, built from [acme] (README.md, "ACME
// certificates"): the HTTPS client to the ACME server, the protocol client
// and the manager, with the answers to TLS-ALPN-01 (on every TLS listener)
// and HTTP-01 (for the HTTP listener).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "acme/client.hpp"
#include "acme/files.hpp"
#include "acme/http_tokens.hpp"
#include "acme/https_client.hpp"
#include "acme/manager.hpp"
#include "common/config/config.hpp"
#include "common/dns/resolver.hpp"
#include "common/net/acme_challenge.hpp"

namespace pochta::acme {

AcmeFiles acme_files(const Config& config);
ClientOptions client_options(const Config& config);
// The HTTPS client for the ACME server: TLS verified against acme.ca_file
// (or the system CAs).
std::unique_ptr<HttpsClient> https_client(net::EventLoop& loop, dns::Resolver& resolver, const Config& config);

class Service {
public:
    // Reads (or creates) the account key; throws std::runtime_error.
    // `installed` runs on the loop after a new certificate was written.
    Service(net::EventLoop& loop, dns::Resolver& resolver, const Config& config,
            std::shared_ptr<net::AcmeChallengeCertificates> tls_alpn_answers, std::function<void()> installed);
    ~Service();

    void start() { manager_->start(); }
    void check_now() { manager_->check_now(); }
    // For the HTTP listener's /.well-known/acme-challenge/TOKEN; it keeps
    // the answers alive, however long the listener holds it.
    std::function<std::optional<std::string>(std::string_view)> http_challenge_lookup() const {
        return [answers = http_answers_](std::string_view token) { return answers->lookup(token); };
    }

private:
    std::shared_ptr<Http01Tokens> http_answers_;
    std::unique_ptr<HttpsClient> https_;
    std::unique_ptr<Client> client_;
    std::unique_ptr<Manager> manager_;
};

}  // namespace pochta::acme
