// Keeps the server's certificate issued and renewed (README.md, "ACME
// certificates"): checks the certificate in data_dir/acme/ off the loop,
// orders a new one when there is none yet (the placeholder), when it does
// not cover the configured names, or once two thirds of its lifetime have
// passed; writes it and has the listeners load it. A failed attempt is
// retried after 1 minute, then 2, 4, ... at most a day apart.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "acme/client.hpp"
#include "acme/files.hpp"
#include "common/net/loop.hpp"
#include "common/util/liveness.hpp"

namespace pochta::acme {

struct ManagerOptions {
    AcmeFiles files;
    std::vector<std::string> names;
    std::chrono::milliseconds first_retry{std::chrono::minutes(1)};
    std::chrono::milliseconds max_retry{std::chrono::hours(24)};
    // The files are looked at again at least this often (a certificate
    // removed by `pochta acme revoke` is replaced then, or on SIGHUP).
    std::chrono::milliseconds max_sleep{std::chrono::minutes(5)};
};

// Why a certificate needs replacing, "" when it does not.
std::string renewal_reason(const std::optional<CertificateInfo>& current, const std::vector<std::string>& names,
                           std::chrono::system_clock::time_point now);

class Manager {
public:
    // `installed` runs on the loop after a new certificate was written.
    Manager(net::EventLoop& loop, Client& client, ManagerOptions options, std::function<void()> installed);
    ~Manager();
    Manager(const Manager&) = delete;
    Manager& operator=(const Manager&) = delete;

    void start();
    // SIGHUP: looks at the files now and, if needed, orders at once even
    // while waiting out a failure.
    void check_now();

private:
    void check(bool forced);
    void decide(std::optional<CertificateInfo> current, bool forced);
    void issue(const std::string& reason);
    void failed(const std::string& error);
    void schedule(std::chrono::milliseconds delay);

    net::EventLoop& loop_;
    Client& client_;
    ManagerOptions options_;
    std::function<void()> installed_;
    bool busy_ = false;  // a check or an order is under way
    std::chrono::milliseconds retry_delay_{0};
    std::chrono::steady_clock::time_point next_attempt_{};
    std::string reported_serial_;  // the certificate last logged
    std::unique_ptr<net::EventLoop::Timer> timer_;
    util::Liveness liveness_;
};

}  // namespace pochta::acme
