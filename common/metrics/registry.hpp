// The process's metrics (README.md, "Autoconfig, MTA-STS and metrics"):
// counters, gauges and histograms, rendered in the Prometheus text format
// (version 0.0.4) for /metrics. Incrementing is one relaxed atomic add, safe
// from any thread (the store's writer thread observes commits); a metric is
// registered once and its reference kept (a function-local static at the
// place that counts), so counting never takes a lock.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace pochta::metrics {

class Counter {
public:
    void inc(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
    uint64_t value() const { return value_.load(std::memory_order_relaxed); }

private:
    std::atomic<uint64_t> value_{0};
};

class Gauge {
public:
    void set(double v) { value_.store(v, std::memory_order_relaxed); }
    void add(double v) { value_.fetch_add(v, std::memory_order_relaxed); }
    double value() const { return value_.load(std::memory_order_relaxed); }

private:
    std::atomic<double> value_{0};
};

class Histogram {
public:
    // Upper bounds of the buckets, ascending; +Inf is added.
    explicit Histogram(std::vector<double> bounds);
    void observe(double v);

    struct Snapshot {
        std::vector<uint64_t> cumulative;  // per bound, then +Inf
        double sum = 0;
    };
    Snapshot snapshot() const;
    const std::vector<double>& bounds() const { return bounds_; }

private:
    std::vector<double> bounds_;
    std::unique_ptr<std::atomic<uint64_t>[]> counts_;  // per bucket (not cumulative), +Inf last
    std::atomic<double> sum_{0};
};

// One metric name with its help text and type; its series differ by the
// value of at most one label.
class Registry {
public:
    // The series of `name` with `label` = `value` (no label when `label`
    // is empty), created at the first call. Registering one name with two
    // types or two label names is a programming error (std::logic_error).
    Counter& counter(std::string_view name, std::string_view help, std::string_view label = {},
                     std::string_view value = {});
    Gauge& gauge(std::string_view name, std::string_view help, std::string_view label = {},
                 std::string_view value = {});
    Histogram& histogram(std::string_view name, std::string_view help, std::vector<double> bounds);

    std::string render() const;

    Registry();
    ~Registry();
    Registry(const Registry&) = delete;
    Registry& operator=(const Registry&) = delete;

private:
    struct Family;
    Family& family(std::string_view name, std::string_view help, int type, std::string_view label);
    mutable std::mutex mutex_;  // registration and rendering only
    std::vector<std::unique_ptr<Family>> families_;
};

// The registry /metrics renders.
Registry& registry();

}  // namespace pochta::metrics
