#include "common/net/loop.hpp"

#include <csignal>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/net/handle_box.hpp"
#include "common/util/log.hpp"

namespace pochta::net {
namespace {

// Exceptions must not unwind through libuv's C frames.
void run_guarded(const std::function<void()>& fn, const char* what) {
    try {
        fn();
    } catch (const std::exception& e) {
        log::error("net: {} failed: {}", what, e.what());
    } catch (...) {
        log::error("net: {} failed with an unknown exception", what);
    }
}

void on_async(uv_async_t* handle) {
    auto& state = *static_cast<detail::LoopState*>(handle->data);
    std::deque<std::function<void()>> batch;
    bool stop = false;
    {
        std::lock_guard lock(state.mutex);
        batch.swap(state.posted);
        stop = state.stop_requested;
        state.stop_requested = false;
    }
    for (auto& fn : batch) run_guarded(fn, "posted function");
    if (stop) uv_stop(handle->loop);
}

struct WorkRequest {
    uv_work_t req{};
    std::function<void()> work;
    std::function<void()> done;
};

void work_cb(uv_work_t* req) {
    auto* w = static_cast<WorkRequest*>(req->data);
    run_guarded(w->work, "offloaded work");
}

void after_work_cb(uv_work_t* req, int) {
    std::unique_ptr<WorkRequest> w(static_cast<WorkRequest*>(req->data));
    detail::state_of(req->loop).work.erase(req);
    if (detail::state_of(req->loop).tearing_down) return;
    run_guarded(w->done, "offload completion");
}

void timer_cb(uv_timer_t* handle) {
    auto* box = detail::box_of(handle);
    // A one-shot timer that fired is inactive but its handle stays open until
    // the owner cancels it; the Timer object decides when that happens.
    run_guarded(box->callback, "timer");
}

}  // namespace

EventLoop::EventLoop() : state_(std::make_unique<detail::LoopState>()) {
    // libuv writes to sockets with write(2): a peer that has gone away would
    // raise SIGPIPE and kill the process instead of failing the write.
    static std::once_flag ignore_sigpipe;
    std::call_once(ignore_sigpipe, [] { std::signal(SIGPIPE, SIG_IGN); });
    if (int err = uv_loop_init(&loop_); err < 0)
        throw std::runtime_error(std::string("uv_loop_init: ") + uv_strerror(err));
    loop_.data = state_.get();
    state_->owner = this;
    if (int err = uv_async_init(&loop_, &state_->async, on_async); err < 0) {
        uv_loop_close(&loop_);
        throw std::runtime_error(std::string("uv_async_init: ") + uv_strerror(err));
    }
    state_->async.data = state_.get();
}

EventLoop::~EventLoop() {
    state_->tearing_down = true;
    std::deque<std::function<void()>> dropped;
    {
        std::lock_guard lock(state_->mutex);
        state_->accepting_posts = false;
        dropped.swap(state_->posted);
    }
    dropped.clear();  // outside the lock: closures may own objects that post
    // Work not started yet is dropped, so teardown waits only for what runs
    // now: a queue of slow password checks must not hold up the exit (README:
    // SIGTERM ends the server within 10 s).
    for (uv_work_t* req : std::vector<uv_work_t*>(state_->work.begin(), state_->work.end()))
        uv_cancel(reinterpret_cast<uv_req_t*>(req));
    detail::close_all_handles(&loop_);
    // Runs the close callbacks (which may close more boxes as owners go
    // away) and waits for offloaded work still on the thread pool.
    uv_run(&loop_, UV_RUN_DEFAULT);
    if (int err = uv_loop_close(&loop_); err < 0) log::error("net: uv_loop_close: {}", uv_strerror(err));
}

void EventLoop::run() { uv_run(&loop_, UV_RUN_DEFAULT); }

void EventLoop::stop() {
    std::lock_guard lock(state_->mutex);
    if (!state_->accepting_posts) return;
    state_->stop_requested = true;
    uv_async_send(&state_->async);
}

void EventLoop::post(std::function<void()> fn) {
    std::lock_guard lock(state_->mutex);
    if (!state_->accepting_posts) return;
    state_->posted.push_back(std::move(fn));
    uv_async_send(&state_->async);
}

void EventLoop::offload(std::function<void()> work, std::function<void()> done) {
    auto w = std::make_unique<WorkRequest>();
    w->work = std::move(work);
    w->done = std::move(done);
    w->req.data = w.get();
    if (int err = uv_queue_work(&loop_, &w->req, work_cb, after_work_cb); err < 0)
        throw std::runtime_error(std::string("uv_queue_work: ") + uv_strerror(err));
    state_->work.insert(&w->req);
    w.release();  // owned by the request until after_work_cb
}

std::unique_ptr<EventLoop::Timer> EventLoop::start_timer(std::chrono::milliseconds delay, std::function<void()> fn) {
    return make_timer(delay, std::chrono::milliseconds(0), std::move(fn));
}

std::unique_ptr<EventLoop::Timer> EventLoop::start_repeating(std::chrono::milliseconds period,
                                                             std::function<void()> fn) {
    // libuv treats a zero repeat as one-shot; keep a repeating timer repeating.
    if (period.count() <= 0) period = std::chrono::milliseconds(1);
    return make_timer(period, period, std::move(fn));
}

std::unique_ptr<EventLoop::Timer> EventLoop::make_timer(std::chrono::milliseconds delay,
                                                        std::chrono::milliseconds repeat,
                                                        std::function<void()> fn) {
    std::unique_ptr<Timer> timer(new Timer());
    auto* box = new detail::Box<uv_timer_t>(&loop_);
    uv_timer_init(&loop_, &box->uv);  // cannot fail on Unix
    box->adopt();
    box->callback = std::move(fn);
    Timer* raw = timer.get();
    box->on_close = [raw] { raw->box_ = nullptr; };
    timer->box_ = box;
    uint64_t ms = delay.count() < 0 ? 0 : static_cast<uint64_t>(delay.count());
    uv_timer_start(&box->uv, timer_cb, ms, static_cast<uint64_t>(repeat.count()));
    return timer;
}

std::unique_ptr<EventLoop::Timer> EventLoop::watch_signal(int signum, std::function<void()> fn) {
    std::unique_ptr<Timer> watch(new Timer());
    auto* box = new detail::Box<uv_signal_t>(&loop_);
    if (int err = uv_signal_init(&loop_, &box->uv); err < 0) {
        box->close();
        throw std::runtime_error(std::string("uv_signal_init: ") + uv_strerror(err));
    }
    box->adopt();
    box->callback = std::move(fn);
    Timer* raw = watch.get();
    box->on_close = [raw] { raw->box_ = nullptr; };
    watch->box_ = box;
    uv_signal_start(
        &box->uv, [](uv_signal_t* handle, int) { run_guarded(detail::box_of(handle)->callback, "signal"); }, signum);
    return watch;
}

EventLoop::Timer::~Timer() { cancel(); }

void EventLoop::Timer::cancel() {
    if (!box_) return;
    box_->on_close = nullptr;
    box_->close();
    box_ = nullptr;
}

bool EventLoop::Timer::active() const {
    return box_ && !box_->closing() && uv_is_active(box_->handle());
}

}  // namespace pochta::net
