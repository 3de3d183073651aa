#include "store/spool_writer.hpp"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <utility>

#include "common/util/log.hpp"

namespace pochta::store {

struct SpoolWriter::Core {
    net::EventLoop& loop;
    std::filesystem::path dir;
    std::mutex mutex;
    std::condition_variable wake;
    std::deque<std::function<void()>> tasks;
    bool stopping = false;

    Core(net::EventLoop& l, std::filesystem::path d) : loop(l), dir(std::move(d)) {}

    void enqueue(std::function<void()> task) {
        {
            std::lock_guard lock(mutex);
            if (stopping) return;
            tasks.push_back(std::move(task));
        }
        wake.notify_one();
    }

    void run() {
        for (;;) {
            std::function<void()> task;
            {
                std::unique_lock lock(mutex);
                wake.wait(lock, [this] { return stopping || !tasks.empty(); });
                if (stopping) return;
                task = std::move(tasks.front());
                tasks.pop_front();
            }
            try {
                task();
            } catch (const std::exception& e) {
                log::error("store: spool writer: {}", e.what());
            }
        }
    }
};

SpoolWriter::SpoolWriter(net::EventLoop& loop, std::filesystem::path dir)
    : core_(std::make_shared<Core>(loop, std::move(dir))) {
    thread_ = std::thread([core = core_] { core->run(); });
}

SpoolWriter::~SpoolWriter() {
    std::deque<std::function<void()>> dropped;
    {
        std::lock_guard lock(core_->mutex);
        core_->stopping = true;
        dropped.swap(core_->tasks);
    }
    core_->wake.notify_all();
    thread_.join();
}

std::shared_ptr<SpoolStream> SpoolWriter::open() {
    return std::make_shared<SpoolStream>(core_, std::make_shared<Spool>(core_->dir));
}

SpoolStream::SpoolStream(std::shared_ptr<SpoolWriter::Core> core, std::shared_ptr<Spool> spool)
    : core_(std::move(core)), spool_(std::move(spool)) {}

void SpoolStream::write(std::string bytes) {
    if (bytes.empty()) return;
    const size_t n = bytes.size();
    behind_ += n;
    core_->enqueue([self = shared_from_this(), bytes = std::move(bytes), n] {
        self->spool_->append(bytes);
        self->core_->loop.post([self, n] { self->written(n); });
    });
}

void SpoolStream::written(size_t bytes) {
    behind_ -= bytes;
    if (behind_ == 0 && caught_up_) std::exchange(caught_up_, nullptr)();
}

void SpoolStream::when_caught_up(std::function<void()> fn) {
    if (behind_ == 0) return fn();
    caught_up_ = std::move(fn);
}

void SpoolStream::finish(std::function<void(Error)> done) {
    core_->enqueue([self = shared_from_this(), done = std::move(done)]() mutable {
        Error error = self->spool_->finish();
        self->core_->loop.post([done = std::move(done), error = std::move(error)] { done(error); });
    });
}

}  // namespace pochta::store
