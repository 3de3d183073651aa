// `pochta acme revoke` (README.md, "ACME certificates"): revokes the
// certificate in data_dir/acme/ with the account key and moves it aside
// (fullchain.pem.revoked), so the server orders a new one at its next
// check (at once on SIGHUP) and keeps serving the old one until then.
#include <cstdio>
#include <filesystem>

#include "acme/service.hpp"
#include "common/net/loop.hpp"
#include "server/cli.hpp"

namespace pochta::cli {

int acme(const Args& args, const Config& config) {
    if (args.size() != 1 || args[0] != "revoke") return usage();
    if (config.acme.directory.empty()) return fail("no [acme] in " + config.file.string());
    acme::AcmeFiles files = acme::acme_files(config);
    auto chain = acme::read_small_file(files.chain());
    auto key = acme::read_small_file(files.account_key());
    if (!chain || !key) return fail("no ACME certificate in " + files.dir.string());
    acme::CertificateInfo info = acme::read_certificate(*chain);
    if (info.self_signed) return fail("only the self-signed placeholder in " + files.dir.string() + ": nothing to revoke");

    net::EventLoop loop;
    dns::Resolver resolver(loop, dns::ResolverOptions{.servers = config.delivery.dns_servers});
    auto https = acme::https_client(loop, resolver, config);
    acme::Client client(loop, *https, acme::EcKey::from_pem(*key), acme::client_options(config), {});
    std::string error = "interrupted";
    client.revoke(*chain, [&](std::string result) {
        error = std::move(result);
        loop.stop();
    });
    loop.run();
    if (!error.empty()) return fail(error);
    std::filesystem::rename(files.chain(), files.chain().string() + ".revoked");
    std::printf("revoked certificate %s; the server orders a new one at its next check (at once on SIGHUP)\n",
                info.serial_hex.c_str());
    return 0;
}

}  // namespace pochta::cli
