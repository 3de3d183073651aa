#include "common/net/tls_reloader.hpp"

#include <exception>
#include <string>

#include "common/util/log.hpp"

namespace pochta::net {

struct TlsReloader::State : std::enable_shared_from_this<State> {
    EventLoop& loop;
    std::shared_ptr<TlsContext> ctx;
    bool loading = false;
    bool forced_again = false;   // reload_now() while a load was running
    TlsFileStamp failed_stamp;  // files that did not load; skipped until they change

    // What a load off the loop found.
    struct Load {
        std::shared_ptr<TlsContext> fresh;  // null: unchanged or failed
        TlsFileStamp stamp;
        std::string error;
    };

    State(EventLoop& l, std::shared_ptr<TlsContext> c) : loop(l), ctx(std::move(c)) {}

    void check(bool force) {
        if (loading) {
            forced_again = forced_again || force;
            return;
        }
        loading = true;
        auto result = std::make_shared<Load>();
        TlsFileStamp loaded = ctx->loaded_stamp(), failed = failed_stamp;
        std::shared_ptr<const TlsContext> source = ctx;
        std::weak_ptr<State> weak = weak_from_this();
        loop.offload(
            [result, source, loaded, failed, force] {
                result->stamp = tls_file_stamp(source->cert_file(), source->key_file());
                if (!force && (result->stamp == loaded || result->stamp == failed)) return;
                try {
                    result->fresh = source->reloaded();
                } catch (const std::exception& e) {
                    result->error = e.what();
                }
            },
            [weak, result] {
                if (auto self = weak.lock()) self->finish(*result);
            });
    }

    void finish(Load& result) {
        loading = false;
        if (result.fresh) {
            ctx->replace(*result.fresh);
            failed_stamp = {};
            log::info("TLS certificate {} loaded again for new connections", ctx->cert_file().string());
        } else if (!result.error.empty()) {
            failed_stamp = result.stamp;
            log::warn("TLS certificate not reloaded, the previous one stays in use: {}", result.error);
        }
        if (forced_again) {
            forced_again = false;
            check(true);
        }
    }
};

TlsReloader::TlsReloader(EventLoop& loop, std::shared_ptr<TlsContext> ctx, std::chrono::milliseconds period)
    : state_(std::make_shared<State>(loop, std::move(ctx))) {
    timer_ = loop.start_repeating(period, [state = state_.get()] { state->check(false); });
}

TlsReloader::~TlsReloader() = default;

void TlsReloader::reload_now() { state_->check(true); }

}  // namespace pochta::net
