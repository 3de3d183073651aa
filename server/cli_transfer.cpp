// `pochta import ADDRESS PATH [--mailbox NAME]`, `pochta export ADDRESS DIR`
// (README.md, "Import and export"), `pochta backup DIR` and `pochta restore
// DIR` (README.md, "Backup and restore"). Import, export and backup open
// the store beside a running server, as every admin command does: SQLite
// serialises the two processes' writes (README.md, "Import and export"
// says why no control socket is needed).
#include <fmt/format.h>

#include <cstdio>

#include "server/cli.hpp"
#include "store/backup.hpp"
#include "store/store.hpp"
#include "transfer/exporter.hpp"
#include "transfer/importer.hpp"
#include "transfer/progress.hpp"

namespace pochta::cli {

namespace {

std::string megabytes(uint64_t bytes) { return fmt::format("{:.1f} MB", static_cast<double>(bytes) / 1e6); }

// The summary on stdout; exit 1 when anything was skipped, so a script
// notices what the summary says.
int report(const transfer::TransferSummary& s, const char* verb) {
    std::printf("%s %llu messages (%s) in %llu folders", verb, static_cast<unsigned long long>(s.messages),
                megabytes(s.bytes).c_str(), static_cast<unsigned long long>(s.folders));
    if (s.already_there > 0)
        std::printf(", %llu already there from an earlier run", static_cast<unsigned long long>(s.already_there));
    std::printf("; %zu skipped\n", s.skipped.size());
    for (const auto& line : s.skipped) std::printf("skipped: %s\n", line.c_str());
    return s.skipped.empty() ? 0 : 1;
}

}  // namespace

int import_mail(const Args& args, const Config& config) {
    transfer::ImportOptions options;
    if (args.size() == 4 && args[2] == "--mailbox")
        options.mailbox = args[3];
    else if (args.size() != 2)
        return usage();
    const std::optional<std::string> known = known_user(config, args[0]);
    if (!known) return 1;
    const std::string& user = *known;
    auto store = open_store(config);
    transfer::ProgressBar bar(stderr, std::filesystem::is_directory(args[1]) ? "messages" : "bytes");
    options.progress = [&bar](const transfer::ProgressUpdate& p) { bar.update(p); };
    const auto summary = transfer::import_mail(*store, user, args[1], options);
    bar.finish();
    if (summary.messages == 0 && summary.already_there == 0 && summary.skipped.empty())
        return fail(fmt::format("no messages found in {}", args[1]));
    return report(summary, "imported");
}

int export_mail(const Args& args, const Config& config) {
    if (args.size() != 2) return usage();
    const std::optional<std::string> known = known_user(config, args[0]);
    if (!known) return 1;
    const std::string& user = *known;
    auto store = open_store(config);
    transfer::ProgressBar bar(stderr, "messages");
    transfer::ExportOptions options;
    options.progress = [&bar](const transfer::ProgressUpdate& p) { bar.update(p); };
    const auto summary = transfer::export_mail(*store, user, args[1], options);
    bar.finish();
    return report(summary, "exported");
}

int backup(const Args& args, const Config& config) {
    if (args.size() != 1) return usage();
    const auto r = store::backup_store(config.data_dir, args[0]);
    std::printf("backup in %s: %llu blob files copied (%s), %llu kept from before, %llu old ones removed\n",
                args[0].c_str(), static_cast<unsigned long long>(r.blobs_copied), megabytes(r.bytes_copied).c_str(),
                static_cast<unsigned long long>(r.blobs_kept), static_cast<unsigned long long>(r.blobs_pruned));
    if (r.messages_left_out > 0)
        std::printf("%llu messages expunged during the backup are not in it\n",
                    static_cast<unsigned long long>(r.messages_left_out));
    return 0;
}

int restore(const Args& args, const Config& config) {
    if (args.size() != 1) return usage();
    const auto problems = store::check_backup(args[0]);
    for (const auto& problem : problems) std::fprintf(stderr, "pochta: %s\n", problem.c_str());
    if (!problems.empty()) return fail(fmt::format("{} is not a usable backup: nothing restored", args[0]));
    const auto r = store::restore_store(args[0], config.data_dir);
    std::printf("restored %s into %s: the index and %llu blob files (%s)\n", args[0].c_str(),
                config.data_dir.c_str(), static_cast<unsigned long long>(r.blobs), megabytes(r.bytes).c_str());
    return 0;
}

}  // namespace pochta::cli
