// `pochta dns DOMAIN` (README.md, "What to publish"): the zone lines to
// publish for a local domain, one record per line.
#include <fmt/format.h>

#include <cstdio>

#include "common/util/strings.hpp"
#include "server/cli.hpp"
#include "server/zone_records.hpp"

namespace pochta::cli {

int dns(const Args& args, const Config& config) {
    if (args.size() != 1) return usage();
    std::string domain = to_lower(args[0]);
    if (!config.is_local_domain(domain)) return fail(fmt::format("{} is not one of the local domains", args[0]));
    HostAddresses host = host_addresses(config);
    std::string out = fmt::format("; pochta dns {}: the records to publish (check them with `pochta doctor {}`)\n",
                                  domain, domain);
    if (host.ipv4.empty() && host.ipv6.empty())
        out += "; no public address found on this machine: set public_addresses in the configuration\n";
    for (const auto& record : expected_records(config, domain, host)) out += zone_lines(record);
    std::fputs(out.c_str(), stdout);
    return 0;
}

}  // namespace pochta::cli
