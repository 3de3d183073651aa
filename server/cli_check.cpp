// `pochta check [--repair]` (README.md, "Integrity"): the store's blobs
// against its rows. One line per problem on stdout, a summary last; exit 0
// when the store is clean, 1 when something was found (repaired or not).
#include <fmt/format.h>

#include <cstdio>

#include "server/cli.hpp"
#include "store/store.hpp"

namespace pochta::cli {
namespace {

std::string describe(const store::IntegrityProblem& p) {
    std::string line = fmt::format("{} blob={}", store::to_string(p.kind), p.blob);
    if (!p.user.empty()) line += fmt::format(" user={} mailbox=\"{}\" uid={}", p.user, p.mailbox, p.uid);
    line += fmt::format(" detail=\"{}\"", p.detail);
    if (p.repaired) line += " repaired";
    return line;
}

}  // namespace

int check(const Args& args, const Config& config) {
    const bool repair = args.size() == 1 && args[0] == "--repair";
    if (!args.empty() && !repair) return usage();
    store::Options options;
    options.maintenance = false;  // the check judges leftovers itself, and reports them
    auto store = store::Store::open(config.data_dir, options);
    store::IntegrityReport report = store->check_integrity(repair);
    size_t repaired = 0;
    for (const auto& p : report.problems) {
        std::printf("%s\n", describe(p).c_str());
        repaired += p.repaired ? 1 : 0;
    }
    std::printf("%llu blobs checked, %zu problems, %zu repaired%s\n",
                static_cast<unsigned long long>(report.blobs_checked), report.problems.size(), repaired,
                report.orphans_checked ? "" : "; orphan files not checked: the store is in use (stop the server)");
    return report.problems.empty() ? 0 : 1;
}

}  // namespace pochta::cli
