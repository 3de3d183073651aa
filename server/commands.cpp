// The admin subcommands that read or change state without a running
// server loop: check-config, user, queue, mailbox, message, version.
// They open the store beside a running server (SQLite WAL allows it).
#include <openssl/crypto.h>
#include <sqlite3.h>
#include <uv.h>
#include <ares.h>
#include <fmt/format.h>
#include <toml++/toml.h>

#include <cstdio>
#include <ctime>
#include <iostream>

#include "common/auth/directory.hpp"
#include "imap/sort_keys.hpp"
#include "server/cli.hpp"
#include "server/cli_user.hpp"
#include "smtp/sieve_run.hpp"
#include "common/util/strings.hpp"
#include "store/store.hpp"

namespace pochta::cli {

std::unique_ptr<store::Store> open_store(const Config& config) {
    store::Options options;
    options.maintenance = false;  // a server may be running: leave its temp files alone
    options.sort_keys = imap::make_stored_sort_keys;  // imports are sorted like deliveries
    return store::Store::open(config.data_dir, options);
}

namespace {

std::string iso8601(int64_t unix_seconds) {
    time_t t = static_cast<time_t>(unix_seconds);
    tm parts{};
    gmtime_r(&t, &parts);
    char buf[32];
    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &parts);
    return buf;
}

std::string quoted(const std::string& text) {
    std::string out = "\"";
    for (char c : text) {
        if (c == '"' || c == '\\') out.push_back('\\');
        out.push_back(c == '\r' || c == '\n' ? ' ' : c);
    }
    return out + "\"";
}

std::string flag_names(uint32_t flags, const std::vector<std::string>& keywords) {
    std::string out;
    auto add = [&](const std::string& name) { out += (out.empty() ? "" : ",") + name; };
    if (flags & store::flag_seen) add("\\Seen");
    if (flags & store::flag_answered) add("\\Answered");
    if (flags & store::flag_flagged) add("\\Flagged");
    if (flags & store::flag_deleted) add("\\Deleted");
    if (flags & store::flag_draft) add("\\Draft");
    for (const auto& keyword : keywords) add(keyword);
    return out.empty() ? "-" : out;
}

std::optional<store::MailboxInfo> find_mailbox(store::Store& store, const Args& args) {
    auto mailbox = store.find_mailbox(args.at(1), args.at(2));
    if (!mailbox) fail(fmt::format("no mailbox {} for {}", args.at(2), args.at(1)));
    return mailbox;
}

}  // namespace

int fail(const std::string& reason) {
    std::fprintf(stderr, "pochta: %s\n", reason.c_str());
    return 1;
}

int usage() {
    std::fputs(
        "usage: pochta COMMAND [-c FILE]\n"
        "  serve                          run the server in the foreground\n"
        "  check-config                   validate the configuration and the files it names\n"
        "  user add|passwd ADDRESS        password from the first line of stdin\n"
        "  user del ADDRESS [--purge]     remove a user (--purge: and the mail)\n"
        "  user list                      one address per line\n"
        "  queue list|flush               the outbound queue\n"
        "  queue delete ID                drop one queue entry\n"
        "  mailbox list ADDRESS           a user's mailboxes: name messages unseen uidvalidity uidnext\n"
        "  quota ADDRESS                  a user's usage and limits: storage BYTES LIMIT, messages N LIMIT\n"
        "  message list ADDRESS MAILBOX   uid size flags, one message per line\n"
        "  message show ADDRESS MAILBOX UID   the stored message on stdout\n"
        "  check [--repair]               the store's messages against their files\n"
        "  dkim keygen DOMAIN [--selector S] [--algorithm rsa|ed25519]   create a DKIM key, print its TXT record\n"
        "  dkim list                      DKIM keys: domain selector algorithm active|inactive\n"
        "  dkim use DOMAIN SELECTOR       sign with this selector from now on (key rollover)\n"
        "  dkim verify [FILE]             check a message's DKIM signatures (stdin by default)\n"
        "  spf check IP SENDER [HELO]     SPF result, domain and explanation for a sender (SENDER <> = null)\n"
        "  dns DOMAIN                     the DNS records to publish for a local domain\n"
        "  doctor [DOMAIN]                the live DNS and the TLS certificate checked (exit 1: fix something)\n"
        "  sieve check FILE               compile a Sieve script: FILE:LINE:COLUMN: error, exit 1\n"
        "  sieve test SCRIPT MESSAGE... [--from ADDR] [--to ADDR] [...]   the actions, one per line\n"
        "  spam train ADDRESS --spam|--ham MAILBOX   teach the user's spam filter a whole mailbox\n"
        "  index rebuild [ADDRESS]        build the full-text search index anew (every user by default)\n"
        "  sieve set ADDRESS NAME FILE [--activate]   store (compiled first) a user's script\n"
        "  sieve get ADDRESS NAME / sieve list ADDRESS   a stored script / the scripts (\"active\" marked)\n"
        "  sieve activate ADDRESS NAME|--none / sieve delete ADDRESS NAME\n"
        "  acme revoke                               revoke the ACME certificate; the server orders a new one\n"
        "  import ADDRESS PATH [--mailbox NAME]   a Dovecot Maildir or an mbox file, UIDs kept, resumable\n"
        "  export ADDRESS DIR             the user's mailboxes as a Maildir++ that Dovecot reads\n"
        "  backup DIR / restore DIR       a consistent copy of the store while it runs / put one back\n"
        "  vacation set ADDRESS --message FILE [--subject S] [--days N] [--until YYYY-MM-DD]   auto-reply on\n"
        "  vacation clear ADDRESS         auto-reply off\n"
        "  forward set ADDRESS TO... [--keep]   forward the user's mail (--keep: and keep a copy)\n"
        "  forward clear ADDRESS          forwarding off\n"
        "  list create|delete|show|members LIST   a mailing list; show: settings, counts, recent log\n"
        "  list add LIST ADDRESS [member|moderator|owner ...] [--delivery on|off|digest]\n"
        "  list remove LIST ADDRESS [ROLE ...]   those roles, or the person altogether\n"
        "  list set LIST NAME VALUE       a list setting (README \"Mailing lists\"; \"\" for the default)\n"
        "  list enable LIST MEMBER        restarts a member's delivery that bounces stopped\n"
        "  version                        versions of pochta and its libraries\n"
        "options: -c FILE / --config FILE (default /etc/pochta/pochta.toml)\n",
        stderr);
    return 2;
}

int version() {
    std::printf("pochta %s\n", "0.1.0");
    std::printf("libuv %s\n", uv_version_string());
    std::printf("%s\n", OpenSSL_version(OPENSSL_VERSION));
    std::printf("SQLite %s\n", sqlite3_libversion());
    std::printf("c-ares %s\n", ares_version(nullptr));
    std::printf("fmt %d.%d.%d\n", FMT_VERSION / 10000, FMT_VERSION / 100 % 100, FMT_VERSION % 100);
    std::printf("toml++ %d.%d.%d\n", TOML_LIB_MAJOR, TOML_LIB_MINOR, TOML_LIB_PATCH);
    return 0;
}

int check_config(const Config& config) {
    check_config_files(config);
    for (const auto& warning : secret_file_warnings(config)) std::fprintf(stderr, "warning: %s\n", warning.c_str());
    server_tls(config);  // the certificate, key and [tls] settings as serve loads them
    auth::Snapshot::load(config);
    smtp::load_global_scripts(config.sieve);  // [sieve] before/after compile as serve compiles them
    std::printf("%s: ok\n", config.file.c_str());
    return 0;
}

int user(const Args& args, const Config& config) {
    return run_user_command(args, config, [&config](const std::string& address) {
        open_store(config)->purge_user(address);
    });
}

int queue(const Args& args, const Config& config) {
    if (args.empty()) return usage();
    const std::string& verb = args[0];
    if (verb == "list" && args.size() == 1) {
        for (const auto& entry : open_store(config)->list_queue()) {
            std::string rcpts;
            for (const auto& r : entry.pending_rcpts) rcpts += (rcpts.empty() ? "" : ",") + r;
            std::printf("%s %s %s %u %s %s\n", entry.id.c_str(),
                        entry.envelope_from.empty() ? "<>" : entry.envelope_from.c_str(),
                        rcpts.empty() ? "-" : rcpts.c_str(), entry.attempts, iso8601(entry.next_attempt).c_str(),
                        quoted(entry.last_reply).c_str());
        }
        return 0;
    }
    if (verb == "flush" && args.size() == 1) {
        open_store(config)->flush_queue();
        return 0;
    }
    if (verb == "delete" && args.size() == 2) {
        if (!open_store(config)->delete_queue_entry(args[1])) return fail("no queue entry " + args[1]);
        return 0;
    }
    return usage();
}

int mailbox(const Args& args, const Config& config) {
    if (args.size() != 2 || args[0] != "list") return usage();
    for (const auto& box : open_store(config)->list_mailboxes(args[1]))
        std::printf("%s %u %u %u %u\n", box.name.c_str(), box.messages, box.unseen, box.uidvalidity, box.uidnext);
    return 0;
}

int message(const Args& args, const Config& config) {
    if (args.size() == 3 && args[0] == "list") {
        auto store = open_store(config);
        auto box = find_mailbox(*store, args);
        if (!box) return 1;
        for (const auto& msg : store->list_messages(box->id))
            std::printf("%u %llu %s\n", msg.uid, static_cast<unsigned long long>(msg.size),
                        flag_names(msg.flags, msg.keywords).c_str());
        return 0;
    }
    if (args.size() == 4 && args[0] == "show") {
        auto uid = parse_uint(args[3]);
        if (!uid) return usage();
        auto store = open_store(config);
        auto box = find_mailbox(*store, args);
        if (!box) return 1;
        for (const auto& msg : store->list_messages(box->id)) {
            if (msg.uid != *uid) continue;
            std::string data = store->read_message(msg.id);
            std::fwrite(data.data(), 1, data.size(), stdout);
            return 0;
        }
        return fail(fmt::format("no message with UID {} in {}", *uid, args[2]));
    }
    return usage();
}

}  // namespace pochta::cli
