// `pochta serve`: wires configuration -> directory -> store -> listeners,
// in one place so a reader sees which services exist and what each gets.
#include <grp.h>
#include <malloc.h>
#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include <fmt/format.h>

#include <filesystem>
#include <memory>
#include <stdexcept>

#include "common/auth/directory.hpp"
#include "common/auth/login_throttle.hpp"
#include "common/session/login.hpp"
#include "common/net/loop.hpp"
#include "common/net/server.hpp"
#include "acme/service.hpp"
#include "common/net/acme_challenge.hpp"
#include "common/net/tls.hpp"
#include "common/net/tls_reloader.hpp"
#include "common/util/log.hpp"
#include "imap/fetch_summary.hpp"
#include "http/routes_lists.hpp"
#include "lists/list_engine.hpp"
#include "mailauth/dkim_sign.hpp"
#include "mailauth/srs_secrets.hpp"
#include "imap/session.hpp"
#include "imap/sort_keys.hpp"
#include "managesieve/session.hpp"
#include "pop3/session.hpp"
#include "common/dns/resolver.hpp"
#include "spam/filter.hpp"
#include "outbound/queue_runner.hpp"
#include "server/cli.hpp"
#include "server/http_listeners.hpp"
#include "server/process_limits.hpp"
#include "server/quota_limits.hpp"
#include "smtp/session.hpp"
#include "smtp/vacation.hpp"
#include "store/async_store.hpp"
#include "store/store.hpp"

namespace pochta::cli {
namespace {

// README: exit within 10 s of SIGTERM; 4 s are left for work in flight on
// the worker threads (a password check, a store write) and closing the store.
constexpr auto shutdown_grace = std::chrono::seconds(6);
constexpr auto reload_check_period = std::chrono::seconds(2);  // users/aliases picked up within 5 s

// Started as root with run_as set: the ports are bound, now become that user.
// The data folder is handed to the user first so the store can write it.
void drop_privileges(const Config& config) {
    if (config.run_as.empty() || geteuid() != 0) return;
    passwd* pw = getpwnam(config.run_as.c_str());
    if (!pw) throw std::runtime_error("run_as: no such user: " + config.run_as);
    std::filesystem::create_directories(config.data_dir);
    if (chown(config.data_dir.c_str(), pw->pw_uid, pw->pw_gid) != 0)
        throw std::runtime_error("run_as: cannot hand " + config.data_dir.string() + " to " + config.run_as);
    for (const auto& entry : std::filesystem::recursive_directory_iterator(config.data_dir))
        if (lchown(entry.path().c_str(), pw->pw_uid, pw->pw_gid) != 0)
            throw std::runtime_error("run_as: cannot hand " + entry.path().string() + " to " + config.run_as);
    if (initgroups(pw->pw_name, pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0)
        throw std::runtime_error("run_as: cannot switch to user " + config.run_as);
    log::info("running as {}", config.run_as);
}

// What a client refused at a connection cap reads before the close
// (README "[limits] max_connections").
std::string smtp_refusal(const Config& config) {
    return fmt::format("421 4.7.0 {} Too many connections\r\n", config.hostname);
}
constexpr const char* pop3_refusal = "-ERR [SYS/TEMP] Too many connections\r\n";  // RFC 3206
constexpr const char* imap_refusal = "* BYE Too many connections\r\n";             // RFC 9051 7.1.5
constexpr const char* sieve_refusal = "BYE (TRYLATER) \"Too many connections\"\r\n";  // RFC 5804 1.3

// `context` is filled in after the listeners are bound (and privileges
// dropped); sessions only start once the loop runs, when it is set.
void add_smtp_listeners(net::Server& server, const Config& config,
                        const std::unique_ptr<smtp::SessionContext>& context) {
    auto add = [&](const char* name, const std::optional<ListenAddress>& address, smtp::Listener kind, bool tls) {
        if (!address) return;
        server.add_listener(net::ListenerSpec{name, *address, tls,
                                              [&context, kind](net::Connection&) {
                                                  return std::make_unique<smtp::Session>(*context, kind);
                                              },
                                              smtp_refusal(config)});
    };
    add("smtp", config.listen.smtp, smtp::Listener::mx, false);
    add("submission", config.listen.submission, smtp::Listener::submission, false);
    add("submissions", config.listen.submissions, smtp::Listener::submissions, true);
}

void add_pop3_listeners(net::Server& server, const Config& config,
                        const std::unique_ptr<pop3::SessionContext>& context) {
    auto add = [&](const char* name, const std::optional<ListenAddress>& address, bool tls) {
        if (!address) return;
        server.add_listener(net::ListenerSpec{name, *address, tls,
                                              [&context](net::Connection&) {
                                                  return std::make_unique<pop3::Session>(*context);
                                              },
                                              pop3_refusal});
    };
    add("pop3", config.listen.pop3, false);
    add("pop3s", config.listen.pop3s, true);
}

void add_imap_listeners(net::Server& server, const Config& config,
                        const std::unique_ptr<imap::SessionContext>& context) {
    auto add = [&](const char* name, const std::optional<ListenAddress>& address, bool tls) {
        if (!address) return;
        server.add_listener(net::ListenerSpec{name, *address, tls,
                                              [&context](net::Connection&) {
                                                  return std::make_unique<imap::Session>(*context);
                                              },
                                              imap_refusal});
    };
    add("imap", config.listen.imap, false);
    add("imaps", config.listen.imaps, true);
}

void add_sieve_listener(net::Server& server, const Config& config,
                        const std::unique_ptr<managesieve::SessionContext>& context) {
    if (!config.listen.sieve) return;
    server.add_listener(net::ListenerSpec{"sieve", *config.listen.sieve, false,
                                          [&context](net::Connection&) {
                                              return std::make_unique<managesieve::Session>(*context);
                                          },
                                          sieve_refusal});
}

// Replies of a few hundred KiB (message batches, TLS records) are built and
// freed all the time; glibc would hand each back to the kernel (mmap above
// 128 KiB, heap trimming) and fault fresh zeroed pages in for the next one:
// 15 % more POP3 RETRs per second on bench/pop3-retr.sh without it.
void tune_allocator() {
    mallopt(M_MMAP_THRESHOLD, 4 << 20);
    mallopt(M_TRIM_THRESHOLD, 32 << 20);
}

net::ConnectionLimits connection_limits(const Config& config) {
    net::ConnectionLimits limits;
    limits.preauth_idle_timeout = config.limits.preauth_idle_timeout;
    return limits;
}

// The secrets file is made at the first start (README.md, "Forwarding with SRS").
std::unique_ptr<smtp::Forwarding> srs_forwarding(const Config& config) {
    if (!config.srs.enabled) return nullptr;
    return std::make_unique<smtp::Forwarding>(config, mailauth::load_srs_secrets(config.srs.secret_file));
}

// A forwarded copy that fails bounces to its SRS sender: the bounce goes
// on to the original sender, as one arriving over SMTP would.
void reverse_srs_bounces(outbound::BounceRoute& route, const smtp::Forwarding& forwarding) {
    route.resolve_local = [&forwarding, directory_lookup = std::move(route.resolve_local)](std::string_view address) {
        if (auto original = forwarding.bounce_target(address)) return auth::Resolution{true, {}, {*original}};
        return directory_lookup(address);
    };
}

}  // namespace

std::shared_ptr<net::TlsContext> server_tls(const Config& config,
                                            std::shared_ptr<net::AcmeChallengeCertificates> acme_answers) {
    if (config.tls.cert.empty()) return nullptr;
    if (!config.acme.directory.empty() && !std::filesystem::exists(config.tls.cert)) return nullptr;
    net::TlsPolicy policy{.tls13_only = config.tls.tls13_only, .tls12_ciphers = config.tls.ciphers};
    return net::TlsContext::server(config.tls.cert, config.tls.key, policy, std::move(acme_answers));
}

int serve(const Config& config) {
    signal(SIGPIPE, SIG_IGN);
    tune_allocator();
    log::info("pochta starting with {}", config.file.string());
    raise_descriptor_limit(config);
    secure_data_dir(config);
    warn_about_secret_files(config);
    auth::Directory directory(config);
    std::shared_ptr<net::AcmeChallengeCertificates> acme_answers;
    if (!config.acme.directory.empty()) {
        acme_answers = std::make_shared<net::AcmeChallengeCertificates>();
        acme::ensure_placeholder(acme::acme_files(config), config.hostname);
    }
    std::shared_ptr<net::TlsContext> tls = server_tls(config, acme_answers);
    smtp::GlobalScripts global_scripts = smtp::load_global_scripts(config.sieve);  // before any port is bound

    net::EventLoop loop;
    net::Server server(loop, tls, config.limits.max_connections, config.limits.max_connections_per_ip,
                       connection_limits(config), config.limits.max_connections_per_user_ip);

    // Signals are watched before anything slow happens, so a SIGTERM during
    // start-up still ends in a clean exit once the loop runs.
    std::unique_ptr<outbound::QueueRunner> queue_runner;  // created once the store is open
    bool stopping = false;
    auto stop = [&] {
        if (stopping) return;
        stopping = true;
        log::info("shutting down");
        if (queue_runner) queue_runner->stop();
        server.shutdown(shutdown_grace, [&loop] { loop.stop(); });
    };
    auto term = loop.watch_signal(SIGTERM, stop);
    auto interrupt = loop.watch_signal(SIGINT, stop);
    auto dkim_signer = std::make_shared<mailauth::DkimSigner>(config.dkim.keys_dir);
    std::unique_ptr<net::TlsReloader> tls_reloader;
    std::unique_ptr<acme::Service> acme_service;  // created once privileges are dropped
    if (tls) tls_reloader = std::make_unique<net::TlsReloader>(loop, tls);
    auto hangup = loop.watch_signal(SIGHUP, [&] {
        dkim_signer->reload();
        if (tls_reloader) tls_reloader->reload_now();
        if (acme_service) acme_service->check_now();
        loop.offload([&directory] { directory.reload(true); }, [] {});
    });

    // One resolver and so one answer cache for outbound MX lookups and the
    // checks on arrival (README.md, "Trusted mail").
    dns::Resolver resolver(loop, dns::ResolverOptions{.servers = config.delivery.dns_servers});
    auth::LoginThrottle throttle(session::throttle_settings(config));
    auto hash_pool = std::make_shared<auth::HashPool>(session::hash_pool_settings(config));
    std::unique_ptr<smtp::SessionContext> smtp_context;
    std::unique_ptr<pop3::SessionContext> pop3_context;
    std::unique_ptr<imap::SessionContext> imap_context;
    std::unique_ptr<managesieve::SessionContext> sieve_context;
    imap::Notifier notifier(loop);  // outlives the store, whose writer thread posts to it
    add_smtp_listeners(server, config, smtp_context);
    add_pop3_listeners(server, config, pop3_context);
    add_imap_listeners(server, config, imap_context);
    add_sieve_listener(server, config, sieve_context);
    HttpListeners http_listeners;
    add_http_listeners(server, config, http_listeners);

    drop_privileges(config);  // after binding (ports below 1024), before the store writes files
    store::Options store_options;
    store_options.summarize = imap::make_fetch_summary;  // FETCH ENVELOPE/BODYSTRUCTURE without parsing
    store_options.sort_keys = imap::make_stored_sort_keys;  // SORT/THREAD without parsing
    if (config.search.index) store_options.text_index = text_index_options(config);
    store_options.quota_limits = quota_limits(directory, config);
    std::unique_ptr<store::Store> store = store::Store::open(config.data_dir, store_options);
    store->set_change_listener([&notifier](const std::vector<store::ChangeEvent>& events) { notifier.post(events); });
    auto async_store = std::make_unique<store::AsyncStore>(loop, *store);
    std::unique_ptr<smtp::Forwarding> forwarding = srs_forwarding(config);  // data_dir exists now
    auto spam_filter = std::make_unique<spam::Filter>(loop, resolver, *async_store, config.spam);
    // Before the HTTP routes, which take its HTTP-01 answers (README "ACME certificates").
    if (acme_answers)
        acme_service = std::make_unique<acme::Service>(loop, resolver, config, acme_answers,
                                                       [&tls_reloader] { tls_reloader->reload_now(); });
    smtp::OutboundLimits outbound_limits(config.spam.outbound_messages_per_hour,
                                         config.spam.outbound_recipients_per_hour);
    auto list_engine =
        std::make_unique<lists::ListEngine>(lists::EngineContext{config, directory, *async_store, &resolver, &loop});
    // Users' Sieve scripts at delivery (README.md, "Sieve at delivery").
    // Its vacation replies are queued, so DKIM-signed (README.md, "Vacation and forwarding").
    smtp::VacationResponder vacation(config, directory, *async_store);
    smtp::SieveDelivery sieve_delivery(smtp::SieveDelivery::Services{
        config, *async_store, directory, forwarding.get(), std::move(global_scripts),
        [&vacation](smtp::VacationCall call, std::function<void()> done) {
            vacation.respond({std::move(call.user), std::move(call.recipient), std::move(call.envelope_sender),
                              std::move(call.message_headers), std::move(call.action)},
                             std::move(done));
        }});
    smtp_context = std::make_unique<smtp::SessionContext>(smtp::SessionContext{config, directory, throttle, *async_store,
                                                                               tls, hash_pool, &resolver, forwarding.get(),
                                                                               spam_filter.get(), &outbound_limits,
                                                                               &sieve_delivery, list_engine.get()});
    pop3_context = std::make_unique<pop3::SessionContext>(pop3::SessionContext{
        .hostname = config.hostname,
        .check_password = auth::directory_password_check(directory),
        .throttle = throttle,
        .store = *async_store,
        .tls = tls,
        .hash_pool = hash_pool,
    });
    imap_context = std::make_unique<imap::SessionContext>(imap::SessionContext{
        .hostname = config.hostname,
        .check_password = auth::directory_password_check(directory),
        .throttle = throttle,
        .store = *async_store,
        .notifier = notifier,
        .tls = tls,
        .max_message_size = config.limits.max_message_size,
        .hash_pool = hash_pool,
    });

    sieve_context = std::make_unique<managesieve::SessionContext>(managesieve::SessionContext{
        .hostname = config.hostname,
        .check_password = auth::directory_password_check(directory),
        .throttle = throttle,
        .store = *async_store,
        .tls = tls,
        .quota = {config.sieve.max_scripts, static_cast<size_t>(config.sieve.max_script_size)},
        .hash_pool = hash_pool,
    });

    add_http_routes(http_listeners, config, server, *async_store,
                    acme_service ? acme_service->http_challenge_lookup() : nullptr);
    http::add_list_routes(http_listeners.public_router,
                          [engine = list_engine.get()](std::string token, bool commit, auto done) {
                              engine->unsubscribe_one_click(std::move(token), commit, std::move(done));
                          },
                          [engine = list_engine.get()](std::string token, lists::LinkDecision decision, auto done) {
                              engine->moderate_by_link(std::move(token), decision, std::move(done));
                          });

    auto reload_timer = loop.start_repeating(reload_check_period, [&] {
        loop.offload([&directory] { directory.reload(false); }, [] {});
    });

    auto runner_options = outbound::queue_runner_options(config, directory);
    runner_options.dkim_signer = dkim_signer;
    if (forwarding) reverse_srs_bounces(runner_options.bounce_route, *forwarding);
    runner_options.bounce_route.take_local = [&list_engine](const std::string& sender, std::string dsn) {
        return list_engine->take_bounce(sender, std::move(dsn));
    };
    queue_runner = std::make_unique<outbound::QueueRunner>(loop, *async_store, resolver, std::move(runner_options));
    queue_runner->start();
    list_engine->resume();

    if (acme_service) acme_service->start();

    log::info("pochta ready");
    loop.run();
    reload_timer.reset();
    acme_service.reset();
    queue_runner.reset();
    spam_filter.reset();
    list_engine.reset();
    async_store.reset();
    store.reset();
    log::info("pochta stopped");
    return 0;
}

}  // namespace pochta::cli
