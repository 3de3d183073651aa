#include "acme/manager.hpp"

#include <fmt/chrono.h>

#include <algorithm>
#include <exception>

#include "common/util/log.hpp"

namespace pochta::acme {
namespace {

using std::chrono::duration_cast;
using std::chrono::milliseconds;
using system_clock = std::chrono::system_clock;

std::string joined(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& name : names) out += (out.empty() ? "" : ", ") + name;
    return out;
}

std::string utc(system_clock::time_point when) {
    return fmt::format("{:%Y-%m-%d %H:%M:%S} UTC", fmt::gmtime(system_clock::to_time_t(when)));
}

}  // namespace

std::string renewal_reason(const std::optional<CertificateInfo>& current, const std::vector<std::string>& names,
                           system_clock::time_point now) {
    if (!current) return "no certificate yet";
    if (current->self_signed) return "only the self-signed placeholder so far";
    for (const auto& name : names)
        if (std::find(current->names.begin(), current->names.end(), name) == current->names.end())
            return "the certificate does not cover " + name;
    if (now >= renewal_time(*current)) return "two thirds of its lifetime have passed";
    return "";
}

Manager::Manager(net::EventLoop& loop, Client& client, ManagerOptions options, std::function<void()> installed)
    : loop_(loop), client_(client), options_(std::move(options)), installed_(std::move(installed)) {}

Manager::~Manager() = default;

void Manager::start() { check(false); }

void Manager::check_now() { check(true); }

void Manager::schedule(milliseconds delay) {
    delay = std::clamp(delay, milliseconds(0), options_.max_sleep);
    timer_ = loop_.start_timer(delay, [this] { check(false); });
}

void Manager::check(bool forced) {
    if (busy_) return;
    busy_ = true;
    auto current = std::make_shared<std::optional<CertificateInfo>>();
    loop_.offload(
        [current, chain = options_.files.chain()] {
            auto pem = read_small_file(chain);
            if (pem) *current = read_certificate(*pem);  // a broken file counts as none
        },
        [this, watch = liveness_.watch(), current, forced] {
            if (!watch) return;
            busy_ = false;
            decide(*current, forced);
        });
}

void Manager::decide(std::optional<CertificateInfo> current, bool forced) {
    auto now = system_clock::now();
    std::string reason = renewal_reason(current, options_.names, now);
    if (reason.empty()) {
        retry_delay_ = milliseconds(0);
        if (current->serial_hex != reported_serial_) {
            reported_serial_ = current->serial_hex;
            log::info("ACME: certificate {} valid until {}, renewal from {}", current->serial_hex,
                      utc(current->not_after), utc(renewal_time(*current)));
        }
        return schedule(duration_cast<milliseconds>(renewal_time(*current) - now) + milliseconds(1));
    }
    auto wait = next_attempt_ - std::chrono::steady_clock::now();
    if (!forced && wait.count() > 0) return schedule(duration_cast<milliseconds>(wait));
    issue(reason);
}

void Manager::issue(const std::string& reason) {
    busy_ = true;
    log::info("ACME: ordering a certificate for {} ({})", joined(options_.names), reason);
    client_.issue(options_.names, [this, watch = liveness_.watch()](std::optional<IssuedCertificate> issued,
                                                                     std::string error) {
        if (!watch) return;
        if (!issued) return failed(error);
        auto write_error = std::make_shared<std::string>();
        loop_.offload(
            [write_error, files = options_.files, issued = std::move(*issued)] {
                try {
                    write_certificate(files, issued);
                } catch (const std::exception& e) {
                    *write_error = e.what();
                }
            },
            [this, watch, write_error] {
                if (!watch) return;
                if (!write_error->empty()) return failed(*write_error);
                busy_ = false;
                retry_delay_ = milliseconds(0);
                next_attempt_ = {};
                log::info("ACME: new certificate for {} in {}", joined(options_.names),
                          options_.files.chain().string());
                installed_();
                check(false);  // schedules the renewal
            });
    });
}

void Manager::failed(const std::string& error) {
    busy_ = false;
    retry_delay_ = retry_delay_.count() == 0 ? options_.first_retry : std::min(retry_delay_ * 2, options_.max_retry);
    next_attempt_ = std::chrono::steady_clock::now() + retry_delay_;
    log::warn("ACME: certificate order failed: {}; next attempt in {} s", error,
              duration_cast<std::chrono::seconds>(retry_delay_).count());
    schedule(retry_delay_);
}

}  // namespace pochta::acme
