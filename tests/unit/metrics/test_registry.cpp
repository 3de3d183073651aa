#include <catch2/catch.hpp>

#include <thread>
#include <vector>

#include "common/metrics/registry.hpp"

using namespace pochta::metrics;

TEST_CASE("counters and gauges render in the text format, labels escaped", "[metrics]") {
    Registry r;
    r.counter("x_total", "Things\nseen", "kind", "a\"b").inc(3);
    r.counter("x_total", "Things\nseen", "kind", "c").inc();
    r.gauge("y", "Level").set(2.5);
    CHECK(r.render() ==
          "# HELP x_total Things\\nseen\n# TYPE x_total counter\n"
          "x_total{kind=\"a\\\"b\"} 3\nx_total{kind=\"c\"} 1\n"
          "# HELP y Level\n# TYPE y gauge\ny 2.5\n");
}

TEST_CASE("the same series comes back; a name is one type", "[metrics]") {
    Registry r;
    Counter& a = r.counter("n_total", "N", "l", "v");
    CHECK(&a == &r.counter("n_total", "N", "l", "v"));
    CHECK(&a != &r.counter("n_total", "N", "l", "w"));
    CHECK_THROWS_AS(r.gauge("n_total", "N", "l", "v"), std::logic_error);
    CHECK_THROWS_AS(r.counter("n_total", "N", "other", "v"), std::logic_error);
}

TEST_CASE("histogram buckets are cumulative, with +Inf, sum and count", "[metrics]") {
    Registry r;
    Histogram& h = r.histogram("t_seconds", "T", {0.1, 1});
    h.observe(0.05);
    h.observe(0.1);  // le is inclusive
    h.observe(0.5);
    h.observe(7);
    CHECK(r.render() ==
          "# HELP t_seconds T\n# TYPE t_seconds histogram\n"
          "t_seconds_bucket{le=\"0.1\"} 2\nt_seconds_bucket{le=\"1\"} 3\nt_seconds_bucket{le=\"+Inf\"} 4\n"
          "t_seconds_sum 7.65\nt_seconds_count 4\n");
}

TEST_CASE("counting from several threads loses nothing", "[metrics]") {
    Registry r;
    Counter& c = r.counter("c_total", "C");
    Histogram& h = r.histogram("h", "H", {1});
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; t++)
        threads.emplace_back([&] {
            for (int i = 0; i < 10000; i++) {
                c.inc();
                h.observe(2);
            }
        });
    for (auto& t : threads) t.join();
    CHECK(c.value() == 40000);
    auto snap = h.snapshot();
    CHECK(snap.cumulative.back() == 40000);
    CHECK(snap.sum == 80000);
}
