// Keeps a server TlsContext in step with its certificate and key files
// (README "TLS", certificates that change without a restart): every period
// the files' stamps are compared off the loop and, when they changed, the
// files are loaded again for new connections; reload_now() (SIGHUP) loads
// them whatever the stamps say. A load that fails is logged, the old
// certificate stays in use, and the same files are not tried again until
// they change.
#pragma once

#include <chrono>
#include <functional>
#include <memory>

#include "common/net/loop.hpp"
#include "common/net/tls.hpp"

namespace pochta::net {

class TlsReloader {
public:
    static constexpr std::chrono::milliseconds default_period{2000};
    TlsReloader(EventLoop& loop, std::shared_ptr<TlsContext> ctx, std::chrono::milliseconds period = default_period);
    ~TlsReloader();
    TlsReloader(const TlsReloader&) = delete;
    TlsReloader& operator=(const TlsReloader&) = delete;

    void reload_now();

    struct State;

private:
    std::shared_ptr<State> state_;  // shared with the offloaded loads
    std::unique_ptr<EventLoop::Timer> timer_;
};

}  // namespace pochta::net
