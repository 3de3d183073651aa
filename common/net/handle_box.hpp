// Internal to common/net: how this library owns libuv handles.
//
// libuv frees nothing: a handle's memory must stay valid until its close
// callback ran, which is one loop iteration after uv_close(). Owners
// (connections, listeners, timers) may go away sooner, so every handle lives
// in a heap "box" that deletes itself in the close callback and tells its
// owner through on_close. The loop keeps a registry of live boxes so that
// ~EventLoop can close every one of them with the right callback.
#pragma once

#include <uv.h>

#include <deque>
#include <functional>
#include <mutex>
#include <unordered_set>

namespace pochta::net {
class EventLoop;
}

namespace pochta::net::detail {

class HandleBox;

// Everything the loop shares with the boxes and the post() callers. Reached
// from any uv_loop_t through uv_loop_t::data.
struct LoopState {
    EventLoop* owner = nullptr;
    uv_async_t async{};
    std::mutex mutex;                           // guards the three below
    std::deque<std::function<void()>> posted;
    bool stop_requested = false;
    bool accepting_posts = true;
    std::unordered_set<HandleBox*> boxes;       // loop thread only
    std::unordered_set<uv_work_t*> work;        // offloaded, not completed; loop thread only
    bool tearing_down = false;                  // inside ~EventLoop
};

LoopState& state_of(uv_loop_t* loop);

class HandleBox {
public:
    explicit HandleBox(uv_loop_t* loop);
    virtual ~HandleBox();
    HandleBox(const HandleBox&) = delete;
    HandleBox& operator=(const HandleBox&) = delete;

    virtual uv_handle_t* handle() = 0;
    uv_loop_t* loop() const { return loop_; }

    // Call once the uv_*_init succeeded: from then on the box is closed
    // through uv_close. A box never adopted is simply deleted by close().
    void adopt();
    // Starts closing (idempotent). on_close runs from the close callback,
    // then the box deletes itself. Never touch the box after close().
    void close();
    bool closing() const { return closing_; }

    // Run from the close callback, before the box is deleted. Owners clear it
    // when they stop caring (e.g. in their destructor).
    std::function<void()> on_close;
    // Free slot for the owner's event callback (timers use it).
    std::function<void()> callback;
    // The object the handle belongs to, for libuv callbacks; cleared by an
    // owner that goes away before the handle is closed.
    void* owner = nullptr;

private:
    static void closed_cb(uv_handle_t* handle);
    uv_loop_t* loop_;
    bool adopted_ = false;
    bool closing_ = false;
};

template <typename T>
class Box final : public HandleBox {
public:
    explicit Box(uv_loop_t* loop) : HandleBox(loop) {}
    uv_handle_t* handle() override { return reinterpret_cast<uv_handle_t*>(&uv); }
    T uv{};
};

template <typename T>
Box<T>* box_of(T* handle) {
    return static_cast<Box<T>*>(static_cast<HandleBox*>(handle->data));
}

// Closes every registered box and every foreign handle still open. Used by
// ~EventLoop before it runs the loop one last time.
void close_all_handles(uv_loop_t* loop);

}  // namespace pochta::net::detail
