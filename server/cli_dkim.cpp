// `pochta dkim keygen|list|use|verify` (README "Command line", "DKIM
// signing"): the key folder through mailauth/dkim_keys.hpp, verification
// through the same code the checks on arrival use.
#include <pwd.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>

#include "common/dns/resolver.hpp"
#include "common/net/loop.hpp"
#include "mailauth/dkim_keys.hpp"
#include "mailauth/dkim_verify.hpp"
#include "server/cli.hpp"

namespace pochta::cli {

namespace {

using mailauth::DkimKeyType;

struct KeygenArgs {
    std::string domain, selector;
    DkimKeyType type = DkimKeyType::rsa;
};

std::optional<KeygenArgs> parse_keygen(const Args& args) {
    KeygenArgs k;
    for (size_t i = 1; i < args.size(); i++) {
        const bool has_value = i + 1 < args.size();
        if (args[i] == "--selector" && has_value) {
            k.selector = args[++i];
        } else if (args[i] == "--algorithm" && has_value) {
            auto type = mailauth::parse_dkim_key_type(args[++i]);
            if (!type) return std::nullopt;
            k.type = *type;
        } else if (k.domain.empty() && !args[i].starts_with("-")) {
            k.domain = args[i];
        } else {
            return std::nullopt;
        }
    }
    if (k.domain.empty()) return std::nullopt;
    return k;
}

// "s20261207" (rsa) / "e20261207" (ed25519): a new name each day, so a
// rollover needs no --selector.
std::string default_selector(DkimKeyType type) {
    const std::time_t now = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    char date[16];
    std::strftime(date, sizeof date, "%Y%m%d", &tm);
    return (type == DkimKeyType::rsa ? "s" : "e") + std::string(date);
}

// Started as root for a server that runs as run_as: the server must read the keys.
void hand_to_run_as(const Config& config, const mailauth::DkimKeyInfo& key) {
    if (config.run_as.empty() || geteuid() != 0) return;
    passwd* pw = getpwnam(config.run_as.c_str());
    if (!pw) throw std::runtime_error("run_as: no such user: " + config.run_as);
    const auto domain_dir = key.file.parent_path();
    for (const auto& path : {config.dkim.keys_dir, domain_dir, key.file, domain_dir / "rsa.active",
                             domain_dir / "ed25519.active"})
        if (std::filesystem::exists(path) && chown(path.c_str(), pw->pw_uid, pw->pw_gid) != 0)
            throw std::runtime_error("cannot hand " + path.string() + " to " + config.run_as);
}

std::string quoted_txt(std::string_view value) {
    std::string out;
    for (const auto& part : mailauth::split_txt_strings(value)) out += (out.empty() ? "\"" : " \"") + part + "\"";
    return out;
}

int keygen(const Args& args, const Config& config) {
    auto k = parse_keygen(args);
    if (!k) return usage();
    if (k->selector.empty()) k->selector = default_selector(k->type);
    if (!config.is_local_domain(k->domain))
        std::fprintf(stderr, "warning: %s is not one of the local domains\n", k->domain.c_str());
    auto key = mailauth::generate_dkim_key(config.dkim.keys_dir, k->domain, k->selector, k->type);
    hand_to_run_as(config, key);
    std::printf("created %s key %s for %s in %s (%s)\n", std::string(mailauth::dkim_key_type_name(key.type)).c_str(),
                key.selector.c_str(), key.domain.c_str(), key.file.c_str(), key.active ? "active" : "not active yet");
    std::printf("publish this TXT record:\n%s. IN TXT %s\n", mailauth::dkim_record_name(key).c_str(),
                quoted_txt(mailauth::dkim_record_value(key)).c_str());
    if (!key.active)
        std::printf("once DNS serves it: pochta dkim use %s %s\n", key.domain.c_str(), key.selector.c_str());
    return 0;
}

int list(const Config& config) {
    for (const auto& key : mailauth::list_dkim_keys(config.dkim.keys_dir))
        std::printf("%s %s %s %s\n", key.domain.c_str(), key.selector.c_str(),
                    std::string(mailauth::dkim_key_type_name(key.type)).c_str(), key.active ? "active" : "inactive");
    return 0;
}

std::string read_message(const Args& args, const Config& config) {
    const uint64_t limit = config.limits.max_message_size;
    std::string text;
    auto read_all = [&](std::istream& in) {
        char buf[65536];
        while (in.read(buf, sizeof buf) || in.gcount() > 0) {
            text.append(buf, static_cast<size_t>(in.gcount()));
            if (text.size() > limit) throw std::runtime_error("message larger than max_message_size");
        }
    };
    if (args.size() < 2 || args[1] == "-") {
        read_all(std::cin);
    } else {
        std::ifstream in(args[1], std::ios::binary);
        if (!in) throw std::runtime_error("cannot read " + args[1]);
        read_all(in);
    }
    return text;
}

// One line per signature; exit 0 when one of them passes.
int verify(const Args& args, const Config& config) {
    if (args.size() > 2) return usage();
    auto checks = mailauth::prepare_dkim(read_message(args, config));
    net::EventLoop loop;
    dns::Resolver resolver(loop, dns::ResolverOptions{.servers = config.delivery.dns_servers});
    std::optional<std::vector<mailauth::DkimVerdict>> verdicts;
    mailauth::verify_dkim(resolver, checks, [&](std::vector<mailauth::DkimVerdict> v) {
        verdicts = std::move(v);
        loop.stop();
    });
    loop.run();
    if (verdicts->empty()) std::printf("none (no DKIM-Signature)\n");
    bool pass = false;
    for (const auto& v : *verdicts) {
        pass = pass || v.result == mailauth::DkimResult::pass;
        std::printf("%s d=%s s=%s a=%s%s\n", std::string(mailauth::dkim_result_name(v.result)).c_str(),
                    v.domain.c_str(), v.selector.c_str(), v.algorithm.c_str(),
                    v.reason.empty() ? "" : (" (" + v.reason + ")").c_str());
    }
    return pass ? 0 : 1;
}

}  // namespace

int dkim(const Args& args, const Config& config) {
    const std::string& verb = args.at(0);
    if (verb == "keygen") return keygen(args, config);
    if (verb == "list" && args.size() == 1) return list(config);
    if (verb == "use" && args.size() == 3) {
        mailauth::activate_dkim_selector(config.dkim.keys_dir, args[1], args[2]);
        std::printf("%s signs with selector %s\n", args[1].c_str(), args[2].c_str());
        return 0;
    }
    if (verb == "verify") return verify(args, config);
    return usage();
}

}  // namespace pochta::cli
