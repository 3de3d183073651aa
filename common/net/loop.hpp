// The event loop: one libuv loop on one thread. Everything that may block
// (SQLite, fsync, password hashing) runs elsewhere and comes back through
// post() or offload().
#pragma once

#include <uv.h>

#include <chrono>
#include <functional>
#include <memory>

namespace pochta::net {

namespace detail {
struct LoopState;
class HandleBox;
}  // namespace detail

class EventLoop {
public:
    // The first EventLoop sets SIGPIPE to be ignored for the process, so that
    // writing to a socket the peer closed fails with EPIPE instead.
    EventLoop();
    // Closes every handle still open (listeners, connections, timers,
    // including ones created by other code on this loop), cancels offloaded
    // work not started yet, waits for the work still running, and frees
    // everything. Posted functions and offload
    // `done` callbacks that did not run yet are dropped, and Handler
    // callbacks are not called during this teardown.
    ~EventLoop();
    EventLoop(const EventLoop&) = delete;
    EventLoop& operator=(const EventLoop&) = delete;

    uv_loop_t* uv() { return &loop_; }

    // Runs until stop(). The loop stays alive without any other handle, so
    // that results posted by worker threads always find it running; run()
    // may be called again after it returned.
    void run();
    // Thread-safe. Makes run() return after the current iteration.
    void stop();

    // Thread-safe: queue fn to run on the loop thread, in posting order.
    // Exceptions thrown by fn are logged.
    void post(std::function<void()> fn);

    // Runs `work` on libuv's thread pool, then `done` on the loop thread.
    // If `work` throws, the error is logged and `done` still runs.
    void offload(std::function<void()> work, std::function<void()> done);

    // One-shot timer on the loop thread. The returned handle cancels on
    // destruction (also safe after the timer fired, and from inside fn).
    class Timer;
    std::unique_ptr<Timer> start_timer(std::chrono::milliseconds delay, std::function<void()> fn);

    // Repeating timer.
    std::unique_ptr<Timer> start_repeating(std::chrono::milliseconds period, std::function<void()> fn);

    // Runs fn on the loop thread each time the process receives `signum`.
    // The returned handle stops watching on destruction, like a timer's
    // (it is a Timer in type only: the same owned libuv handle).
    std::unique_ptr<Timer> watch_signal(int signum, std::function<void()> fn);

private:
    std::unique_ptr<Timer> make_timer(std::chrono::milliseconds delay, std::chrono::milliseconds repeat,
                                      std::function<void()> fn);
    uv_loop_t loop_{};
    std::unique_ptr<detail::LoopState> state_;
};

class EventLoop::Timer {
public:
    ~Timer();
    Timer(const Timer&) = delete;
    Timer& operator=(const Timer&) = delete;
    void cancel();
    // Whether the timer can still fire (false after cancel(), after a
    // one-shot timer fired, and after the loop was torn down).
    bool active() const;

private:
    friend class EventLoop;
    Timer() = default;
    detail::HandleBox* box_ = nullptr;  // freed in its close callback
};

}  // namespace pochta::net
