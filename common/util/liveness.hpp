// The one liveness token for objects that hand `this` to work finishing
// later on the loop (DNS answers, timers, store results, outbound
// connections). The owner keeps a Liveness member; each callback captures a
// Watch and checks alive() before touching the owner. A protocol session
// that lives inside a net::Connection does not need this: it is found again
// through the connection (see the session toolkit).
//
// Loop thread only: a Watch says whether the owner still exists, not whether
// another thread may be destroying it right now.
#pragma once

#include <memory>

namespace pochta::util {

class Liveness {
public:
    class Watch {
    public:
        Watch() = default;
        bool alive() const { return !token_.expired(); }
        explicit operator bool() const { return alive(); }

    private:
        friend class Liveness;
        explicit Watch(std::weak_ptr<const char> token) : token_(std::move(token)) {}
        std::weak_ptr<const char> token_;
    };

    Liveness() = default;
    // A copied or moved owner is a new owner: callbacks of the original never
    // reach it.
    Liveness(const Liveness&) : Liveness() {}
    Liveness& operator=(const Liveness&) { return *this; }

    Watch watch() const { return Watch(token_); }
    // Ends every watch handed out so far (e.g. at the start of shutdown, while
    // the owner still exists); later watch() calls start a new generation.
    void end() { token_ = std::make_shared<const char>(0); }

private:
    std::shared_ptr<const char> token_ = std::make_shared<const char>(0);
};

}  // namespace pochta::util
