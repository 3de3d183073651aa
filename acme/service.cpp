#include "acme/service.hpp"

namespace pochta::acme {

AcmeFiles acme_files(const Config& config) { return {config.data_dir / "acme"}; }

ClientOptions client_options(const Config& config) {
    ClientOptions options;
    options.directory_url = config.acme.directory;
    options.contact = config.acme.contact;
    options.challenge = config.acme.http_01 ? ChallengeType::http_01 : ChallengeType::tls_alpn_01;
    return options;
}

std::unique_ptr<HttpsClient> https_client(net::EventLoop& loop, dns::Resolver& resolver, const Config& config) {
    return std::make_unique<HttpsClient>(loop, resolver, net::TlsContext::verifying_client(config.acme.ca_file));
}

Service::Service(net::EventLoop& loop, dns::Resolver& resolver, const Config& config,
                 std::shared_ptr<net::AcmeChallengeCertificates> tls_alpn_answers, std::function<void()> installed)
    : http_answers_(std::make_shared<Http01Tokens>()), https_(https_client(loop, resolver, config)) {
    AcmeFiles files = acme_files(config);
    client_ = std::make_unique<Client>(loop, *https_, load_or_create_account_key(files), client_options(config),
                                       ChallengeResponders{std::move(tls_alpn_answers), http_answers_});
    manager_ = std::make_unique<Manager>(loop, *client_, ManagerOptions{.files = files, .names = config.acme.names},
                                         std::move(installed));
}

Service::~Service() = default;

}  // namespace pochta::acme
