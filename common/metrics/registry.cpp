#include "common/metrics/registry.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace pochta::metrics {
namespace {

enum Type { counter_type, gauge_type, histogram_type };
constexpr const char* type_names[] = {"counter", "gauge", "histogram"};

// Label values and help texts are escaped as the text format requires.
std::string escape(std::string_view text, bool quote) {
    std::string out;
    for (char c : text) {
        if (c == '\\') out += "\\\\";
        else if (c == '\n') out += "\\n";
        else if (c == '"' && quote) out += "\\\"";
        else out += c;
    }
    return out;
}

std::string number(double v) {
    if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
    if (std::isnan(v)) return "NaN";
    return fmt::format("{}", v);
}

}  // namespace

struct Registry::Family {
    std::string name, help, label;
    Type type;
    struct Series {
        std::string value;  // of the label
        std::unique_ptr<Counter> counter;
        std::unique_ptr<Gauge> gauge;
        std::unique_ptr<Histogram> histogram;
    };
    std::vector<Series> series;

    Series& find(std::string_view value) {
        for (auto& s : series)
            if (s.value == value) return s;
        series.push_back({std::string(value), nullptr, nullptr, nullptr});
        return series.back();
    }

    std::string labels(const Series& s, std::string_view extra = {}) const {
        std::string inside = label.empty() ? "" : fmt::format("{}=\"{}\"", label, escape(s.value, true));
        if (!extra.empty()) inside += (inside.empty() ? "" : ",") + std::string(extra);
        return inside.empty() ? "" : "{" + inside + "}";
    }

    void render(std::string& out) const {
        out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, escape(help, false), name, type_names[type]);
        for (const auto& s : series) {
            if (s.counter) out += fmt::format("{}{} {}\n", name, labels(s), s.counter->value());
            if (s.gauge) out += fmt::format("{}{} {}\n", name, labels(s), number(s.gauge->value()));
            if (s.histogram) render_histogram(out, s);
        }
    }

    void render_histogram(std::string& out, const Series& s) const {
        auto snap = s.histogram->snapshot();
        const auto& bounds = s.histogram->bounds();
        for (size_t i = 0; i <= bounds.size(); i++) {
            std::string le = fmt::format("le=\"{}\"", i < bounds.size() ? number(bounds[i]) : "+Inf");
            out += fmt::format("{}_bucket{} {}\n", name, labels(s, le), snap.cumulative[i]);
        }
        out += fmt::format("{}_sum{} {}\n", name, labels(s), number(snap.sum));
        out += fmt::format("{}_count{} {}\n", name, labels(s), snap.cumulative.back());
    }
};

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), counts_(new std::atomic<uint64_t>[bounds_.size() + 1]) {
    std::sort(bounds_.begin(), bounds_.end());
    for (size_t i = 0; i <= bounds_.size(); i++) counts_[i] = 0;
}

void Histogram::observe(double v) {
    size_t bucket = static_cast<size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin());
    counts_[bucket].fetch_add(1, std::memory_order_relaxed);
    sum_.fetch_add(v, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
    Snapshot out;
    uint64_t total = 0;
    for (size_t i = 0; i <= bounds_.size(); i++) {
        total += counts_[i].load(std::memory_order_relaxed);
        out.cumulative.push_back(total);
    }
    out.sum = sum_.load(std::memory_order_relaxed);
    return out;
}

Registry::Registry() = default;
Registry::~Registry() = default;

Registry::Family& Registry::family(std::string_view name, std::string_view help, int type, std::string_view label) {
    for (auto& f : families_) {
        if (f->name != name) continue;
        if (f->type != type || f->label != label) throw std::logic_error(fmt::format("metric {} registered twice", name));
        return *f;
    }
    families_.push_back(std::make_unique<Family>(
        Family{std::string(name), std::string(help), std::string(label), static_cast<Type>(type), {}}));
    return *families_.back();
}

Counter& Registry::counter(std::string_view name, std::string_view help, std::string_view label,
                           std::string_view value) {
    std::lock_guard lock(mutex_);
    auto& series = family(name, help, counter_type, label).find(value);
    if (!series.counter) series.counter = std::make_unique<Counter>();
    return *series.counter;
}

Gauge& Registry::gauge(std::string_view name, std::string_view help, std::string_view label, std::string_view value) {
    std::lock_guard lock(mutex_);
    auto& series = family(name, help, gauge_type, label).find(value);
    if (!series.gauge) series.gauge = std::make_unique<Gauge>();
    return *series.gauge;
}

Histogram& Registry::histogram(std::string_view name, std::string_view help, std::vector<double> bounds) {
    std::lock_guard lock(mutex_);
    auto& series = family(name, help, histogram_type, {}).find({});
    if (!series.histogram) series.histogram = std::make_unique<Histogram>(std::move(bounds));
    return *series.histogram;
}

std::string Registry::render() const {
    std::lock_guard lock(mutex_);
    std::string out;
    for (const auto& f : families_) f->render(out);
    return out;
}

Registry& registry() {
    static Registry instance;
    return instance;
}

}  // namespace pochta::metrics
