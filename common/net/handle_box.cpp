#include "common/net/handle_box.hpp"

#include <vector>

#include "common/util/log.hpp"

namespace pochta::net::detail {

LoopState& state_of(uv_loop_t* loop) { return *static_cast<LoopState*>(loop->data); }

HandleBox::HandleBox(uv_loop_t* loop) : loop_(loop) { state_of(loop).boxes.insert(this); }

HandleBox::~HandleBox() { state_of(loop_).boxes.erase(this); }

void HandleBox::adopt() {
    handle()->data = this;
    adopted_ = true;
}

void HandleBox::close() {
    if (closing_) return;
    closing_ = true;
    if (!adopted_) {
        // Never initialised: libuv does not know it, so nothing to wait for.
        delete this;
        return;
    }
    uv_close(handle(), closed_cb);
}

void HandleBox::closed_cb(uv_handle_t* handle) {
    auto* box = static_cast<HandleBox*>(handle->data);
    // Moved out first: the hook may destroy the owner, which then must not
    // find a callback of its own still registered here.
    auto hook = std::move(box->on_close);
    box->on_close = nullptr;
    if (hook) {
        try {
            hook();
        } catch (const std::exception& e) {
            log::error("net: close hook failed: {}", e.what());
        }
    }
    delete box;
}

void close_all_handles(uv_loop_t* loop) {
    auto& state = state_of(loop);
    // Copy: closing an unadopted box deletes it and edits the set.
    std::vector<HandleBox*> boxes(state.boxes.begin(), state.boxes.end());
    for (HandleBox* box : boxes) {
        if (state.boxes.count(box) && !box->closing()) box->close();
    }
    // Handles created by other code on this loop (and the loop's own async):
    // closing them without a callback is all we can do for them.
    uv_walk(
        loop,
        [](uv_handle_t* handle, void*) {
            if (!uv_is_closing(handle)) uv_close(handle, nullptr);
        },
        nullptr);
}

}  // namespace pochta::net::detail
